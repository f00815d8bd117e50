//! Escaping reference marks: a literal `<#` in rendered HTML must never read as a
//! reference on the wire (protocol §4.3).

use super::token::{tag_name, tokenize, TokenKind};

/// Rewrites a literal `<#` in text so it can never read as a reference on the wire
/// (protocol §4.3): `&lt;#` in words and RCDATA, a leading space in script and style.
pub(crate) fn escape_reference_marks(html: String) -> String {
    static MARK: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"<#"));
    if MARK.find(html.as_bytes()).is_none() {
        return html;
    }
    let mut tokens = Vec::new();
    tokenize(&html, false, &mut tokens);
    let mut out = String::with_capacity(html.len() + 8);
    let mut after_script = false;
    for token in &tokens {
        let text = token.text(&html);
        match token.kind {
            TokenKind::Text if after_script => {
                if text.starts_with("<#") {
                    out.push(' ');
                }
                out.push_str(text);
            }
            TokenKind::Text => out.push_str(&text.replace("<#", "&lt;#")),
            _ => out.push_str(text),
        }
        let b = text.as_bytes();
        after_script =
            token.kind == TokenKind::Tag && b.get(1).is_some_and(u8::is_ascii_alphabetic) && {
                let (s, e) = tag_name(b, 1);
                b[s..e].eq_ignore_ascii_case(b"script") || b[s..e].eq_ignore_ascii_case(b"style")
            };
    }
    out
}
