//! A render split into fragments at `id`-bearing elements (protocol §4.2).
//!
//! The process keeps the previous [`Rendered`] of its view so the next render can be
//! diffed against it. Tokens are byte ranges into the one rendered `String`, so a render
//! of any size costs one string plus twelve bytes per token.

use super::token::{is_space, tag_name, tokenize, Token, TokenKind};

/// Elements without an end tag: a fragment on one of them is a single token.
const VOID: [&[u8]; 13] = [
    b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta",
    b"source", b"track", b"wbr",
];

/// One fragment: an element with an `id` (or the root) and its tokens, children replaced
/// by [`TokenKind::Ref`] tokens whose range is the child's key.
#[derive(Debug, Clone)]
pub struct Fragment {
    /// Byte range of the key (the `id` attribute's value) in the source; empty for the root.
    pub(crate) key: (u32, u32),
    pub(crate) tokens: Vec<Token>,
}

/// A rendered view: the HTML and its fragments, root first, in document order.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub(crate) html: String,
    pub(crate) fragments: Vec<Fragment>,
}

impl Rendered {
    /// Tokenizes `html` and splits it into fragments.
    pub fn new(html: String) -> Self {
        let html = escape_reference_marks(html);
        let mut tokens = Vec::new();
        tokenize(&html, false, &mut tokens);
        let fragments = split(&html, &tokens);
        Rendered { html, fragments }
    }

    /// The rendered HTML.
    pub fn html(&self) -> &str {
        &self.html
    }

    /// The key of a fragment (`""` for the root).
    pub(crate) fn key(&self, fragment: &Fragment) -> &str {
        &self.html[fragment.key.0 as usize..fragment.key.1 as usize]
    }

    /// The number of fragments, the root included.
    pub fn fragment_count(&self) -> usize {
        self.fragments.len()
    }
}

/// Rewrites a literal `<#` in text so it can never read as a reference on the wire
/// (protocol §4.3): `&lt;#` in words and RCDATA, a leading space in script and style.
fn escape_reference_marks(html: String) -> String {
    if memchr::memmem::find(html.as_bytes(), b"<#").is_none() {
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

/// An element still open while splitting.
struct Open {
    name: (usize, usize),
    /// The fragment this element started, if it did.
    fragment: Option<usize>,
}

fn split(html: &str, tokens: &[Token]) -> Vec<Fragment> {
    let b = html.as_bytes();
    let mut fragments = vec![Fragment {
        key: (0, 0),
        tokens: Vec::new(),
    }];
    // Fragments being filled, innermost last; the root is always at the bottom.
    let mut filling: Vec<usize> = vec![0];
    let mut open: Vec<Open> = Vec::new();
    let mut seen = rustc_hash::FxHashSet::default();

    for &token in tokens {
        let current = *filling.last().expect("the root is never closed");
        let start = token.start as usize;
        if token.kind != TokenKind::Tag {
            fragments[current].tokens.push(token);
            continue;
        }
        let text = &b[start..token.end as usize];
        if text.get(1).is_some_and(|c| c.is_ascii_alphabetic()) {
            let name = tag_name(text, 1);
            let name = (start + name.0, start + name.1);
            let self_contained = VOID
                .iter()
                .any(|v| v.eq_ignore_ascii_case(&b[name.0..name.1]))
                || text.ends_with(b"/>");
            let id = id_value(text).map(|(s, e)| (start + s, start + e));
            // A key must fit in `<#key>`; maud escapes `<` and `>`, hand-written markup may not.
            let new_fragment = id.filter(|&(s, e)| {
                !b[s..e].iter().any(|&c| c == b'<' || c == b'>') && seen.insert(&html[s..e])
            });
            if let Some((s, e)) = new_fragment {
                let child = fragments.len();
                fragments[current].tokens.push(Token {
                    kind: TokenKind::Ref,
                    start: s as u32,
                    end: e as u32,
                });
                fragments.push(Fragment {
                    key: (s as u32, e as u32),
                    tokens: vec![token],
                });
                if !self_contained {
                    open.push(Open {
                        name,
                        fragment: Some(child),
                    });
                    filling.push(child);
                }
            } else {
                fragments[current].tokens.push(token);
                if !self_contained {
                    open.push(Open {
                        name,
                        fragment: None,
                    });
                }
            }
        } else if text.get(1) == Some(&b'/') {
            let name = tag_name(text, 2);
            let name = &b[start + name.0..start + name.1];
            match open
                .iter()
                .rposition(|o| b[o.name.0..o.name.1].eq_ignore_ascii_case(name))
            {
                Some(matched) => {
                    // Anything opened after the match closes implicitly, before this tag.
                    for o in open.drain(matched + 1..) {
                        if o.fragment.is_some() {
                            filling.pop();
                        }
                    }
                    let current = *filling.last().expect("the root is never closed");
                    fragments[current].tokens.push(token);
                    if open.pop().and_then(|o| o.fragment).is_some() {
                        filling.pop();
                    }
                }
                None => fragments[current].tokens.push(token),
            }
        } else {
            fragments[current].tokens.push(token);
        }
    }
    fragments
}

/// The byte range of a non-empty `id` attribute's value inside a start tag.
pub(crate) fn id_value(tag: &[u8]) -> Option<(usize, usize)> {
    let mut i = tag_name(tag, 1).1;
    let n = tag.len();
    loop {
        while i < n && (is_space(tag[i]) || tag[i] == b'/') {
            i += 1;
        }
        if i >= n || tag[i] == b'>' {
            return None;
        }
        let name_start = i;
        while i < n && !is_space(tag[i]) && !matches!(tag[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = &tag[name_start..i];
        while i < n && is_space(tag[i]) {
            i += 1;
        }
        let mut value = (i, i);
        if i < n && tag[i] == b'=' {
            i += 1;
            while i < n && is_space(tag[i]) {
                i += 1;
            }
            if i < n && (tag[i] == b'"' || tag[i] == b'\'') {
                let quote = tag[i];
                let end = memchr::memchr(quote, &tag[i + 1..]).map_or(n, |p| i + 1 + p);
                value = (i + 1, end);
                i = (end + 1).min(n);
            } else {
                let start = i;
                while i < n && !is_space(tag[i]) && tag[i] != b'>' {
                    i += 1;
                }
                value = (start, i);
            }
        }
        if name.eq_ignore_ascii_case(b"id") {
            return (value.1 > value.0).then_some(value);
        }
        if i == name_start {
            // A byte that is neither a name nor a separator: step over it.
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(html: &str) -> Vec<(String, Vec<String>)> {
        let r = Rendered::new(html.to_string());
        r.fragments
            .iter()
            .map(|f| {
                let toks = f
                    .tokens
                    .iter()
                    .map(|t| match t.kind {
                        TokenKind::Ref => format!("<#{}>", t.text(&r.html)),
                        _ => t.text(&r.html).to_string(),
                    })
                    .collect();
                (r.key(f).to_string(), toks)
            })
            .collect()
    }

    #[test]
    fn elements_with_ids_become_child_fragments() {
        let s = shape(r#"<ul id="list"><li id="a">A</li><li>B</li></ul><p>x</p>"#);
        assert_eq!(
            s[0],
            (
                "".into(),
                vec!["<#list>".into(), "<p>".into(), "x".into(), "</p>".into()]
            )
        );
        assert_eq!(s[1].0, "list");
        assert_eq!(
            s[1].1,
            [r#"<ul id="list">"#, "<#a>", "<li>", "B", "</li>", "</ul>"]
        );
        assert_eq!(s[2].1, [r#"<li id="a">"#, "A", "</li>"]);
    }

    #[test]
    fn void_and_self_closing_elements_are_one_token_fragments() {
        let s = shape(r#"<input id="q" value="x"><br id=b/><div id="d"/>t"#);
        // An unquoted value runs to whitespace or `>`, so the id here is `b/`.
        assert_eq!(s[0].1, ["<#q>", "<#b/>", "<#d>", "t"]);
        assert_eq!(s.len(), 4);
    }

    #[test]
    fn duplicate_ids_stay_inline_and_stray_end_tags_are_kept() {
        let s = shape(r#"<i id="x">1</i><i id="x">2</i></b>"#);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].1, ["<#x>", r#"<i id="x">"#, "2", "</i>", "</b>"]);
    }

    #[test]
    fn an_unclosed_child_closes_with_its_parent() {
        let s = shape(r#"<div id="p"><span id="c">x</div>y"#);
        assert_eq!(s[1].1, [r#"<div id="p">"#, "<#c>", "</div>"]);
        assert_eq!(s[2].1, [r#"<span id="c">"#, "x"]);
        assert_eq!(s[0].1, ["<#p>", "y"]);
    }

    #[test]
    fn id_is_found_among_other_attributes_only_as_a_whole_name() {
        assert_eq!(id_value(br#"<a data-id="no" id='yes'>"#), Some((20, 23)));
        assert_eq!(id_value(br#"<a idx="no">"#), None);
        assert_eq!(id_value(br#"<a id="">"#), None);
        assert_eq!(id_value(b"<a id=bare>"), Some((6, 10)));
    }
}
