//! The tokenizer of protocol §4.1: cuts HTML into tags, comments, words and references.
//!
//! The browser client has a line-for-line twin (`js-client/src/tokens.js`); the shared
//! vectors in `tests/vectors/tokens.json` keep the two in step. The rules are deliberately
//! simpler than an HTML parser: all that matters is that both sides cut the same string at
//! the same places, and that the pieces concatenate back to the input.

use memchr::memchr;

/// What a token is; the diff compares kind and text, so a reference never equals a tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenKind {
    /// A word of text with the whitespace after it, or raw text of `<script>` and friends.
    Text,
    /// A start tag, end tag, doctype or processing instruction, quotes respected.
    Tag,
    /// `<!-- ... -->`.
    Comment,
    /// `<#key>`: a child fragment; only recognised in wire strings.
    Ref,
}

/// A token: its kind and its byte range in the tokenized string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// What the token is.
    pub kind: TokenKind,
    /// Its first byte in the tokenized string.
    pub start: u32,
    /// One past its last byte.
    pub end: u32,
}

impl Token {
    /// The token's text within `source`, the string it was cut from.
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        &source[self.start as usize..self.end as usize]
    }
}

/// Elements whose content is one raw text token (rule 3).
const RAW_TEXT: [&[u8]; 4] = [b"script", b"style", b"textarea", b"title"];

/// Cuts `html` into tokens, appending them to `out`. With `wire` set, `<#key>` is a
/// reference token (rule 4); in rendered HTML it is text.
pub fn tokenize(html: &str, wire: bool, out: &mut Vec<Token>) {
    let b = html.as_bytes();
    let mut i = 0;
    while i < b.len() {
        i = step(b, i, wire, out);
    }
}

/// Tokenizes one step starting at `i`: a comment, a reference, a tag (with the raw text
/// after it), or the words of a text run up to the next markup. Returns where the next
/// step starts.
///
/// Between steps the tokenizer has no state but its position, which is what lets
/// [`Rendered::following`](super::Rendered::following) re-tokenize only the changed part of a render.
pub(crate) fn step(b: &[u8], mut i: usize, wire: bool, out: &mut Vec<Token>) -> usize {
    let n = b.len();
    let mut push = |kind, start: usize, end: usize| {
        out.push(Token {
            kind,
            start: start as u32,
            end: end as u32,
        })
    };
    match markup_at(b, i, wire) {
        Some(TokenKind::Comment) => {
            let end = find(b, i + 4, b"-->").map_or(n, |p| p + 3);
            push(TokenKind::Comment, i, end);
            end
        }
        Some(TokenKind::Ref) => {
            let end = memchr(b'>', &b[i + 2..]).map_or(n, |p| i + 2 + p + 1);
            push(TokenKind::Ref, i, end);
            end
        }
        Some(_) => {
            let start = i;
            let end = tag_end(b, i + 1);
            push(TokenKind::Tag, start, end);
            i = end;
            let name = tag_name(&b[..end], start + 1);
            if b[start + 1].is_ascii_alphabetic() && is_raw_text(&b[name.0..name.1]) {
                let close = find_end_tag(b, i, &b[name.0..name.1]).unwrap_or(n);
                if close > i {
                    push(TokenKind::Text, i, close);
                }
                i = close;
            }
            i
        }
        None => {
            let text_end = next_markup(b, i, wire);
            while i < text_end {
                let start = i;
                while i < text_end && !is_space(b[i]) {
                    i += 1;
                }
                while i < text_end && is_space(b[i]) {
                    i += 1;
                }
                push(TokenKind::Text, start, i);
            }
            i
        }
    }
}

/// How far past its end a token's cut can depend on the input: a word ends where the next
/// `<` starts markup (two bytes), raw text where `</textarea` starts (ten).
pub(crate) const LOOKAHEAD: usize = 12;

/// Whether a comment, tag or (in wire strings) reference starts at `i`, and which.
fn markup_at(b: &[u8], i: usize, wire: bool) -> Option<TokenKind> {
    if b[i] != b'<' {
        return None;
    }
    match b.get(i + 1) {
        Some(b'!') if b[i..].starts_with(b"<!--") => Some(TokenKind::Comment),
        Some(b'#') if wire => Some(TokenKind::Ref),
        Some(c) if c.is_ascii_alphabetic() || matches!(c, b'/' | b'!' | b'?') => {
            Some(TokenKind::Tag)
        }
        _ => None,
    }
}

/// The position of the next markup token at or after `i`, or the end of input.
fn next_markup(b: &[u8], mut i: usize, wire: bool) -> usize {
    while let Some(p) = memchr(b'<', &b[i..]) {
        let at = i + p;
        if markup_at(b, at, wire).is_some() {
            return at;
        }
        i = at + 1;
    }
    b.len()
}

/// The end (exclusive) of a tag starting before `i`: after the first `>` outside quotes.
fn tag_end(b: &[u8], mut i: usize) -> usize {
    let n = b.len();
    while i < n {
        match b[i] {
            b'>' => return i + 1,
            q @ (b'"' | b'\'') => match memchr(q, &b[i + 1..]) {
                Some(p) => i += p + 2,
                None => return n,
            },
            _ => i += 1,
        }
    }
    n
}

/// The byte range of a tag's name, given the offset of the first byte after `<`
/// (or after `</` for end tags).
pub(crate) fn tag_name(tag: &[u8], from: usize) -> (usize, usize) {
    let mut end = from;
    while end < tag.len() && !is_space(tag[end]) && tag[end] != b'/' && tag[end] != b'>' {
        end += 1;
    }
    (from, end)
}

/// Whether `tag` is a start tag whose content is one raw text token (rule 3).
pub(crate) fn opens_raw_text(tag: &str) -> bool {
    let b = tag.as_bytes();
    b.first() == Some(&b'<') && b.get(1).is_some_and(u8::is_ascii_alphabetic) && {
        let (s, e) = tag_name(b, 1);
        is_raw_text(&b[s..e])
    }
}

fn is_raw_text(name: &[u8]) -> bool {
    RAW_TEXT.iter().any(|raw| raw.eq_ignore_ascii_case(name))
}

/// Finds `</name` (ASCII case-insensitive) at or after `i`.
fn find_end_tag(b: &[u8], mut i: usize, name: &[u8]) -> Option<usize> {
    while let Some(p) = find(b, i, b"</") {
        let after = p + 2;
        if b.len() >= after + name.len() && b[after..after + name.len()].eq_ignore_ascii_case(name)
        {
            return Some(p);
        }
        i = after;
    }
    None
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(b.get(from..)?, needle).map(|p| from + p)
}

pub(crate) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(html: &str, wire: bool) -> Vec<&str> {
        let mut out = Vec::new();
        tokenize(html, wire, &mut out);
        out.iter().map(|t| t.text(html)).collect()
    }

    #[test]
    fn words_keep_their_trailing_whitespace() {
        assert_eq!(
            texts("<h1>Counter: 10</h1>", false),
            ["<h1>", "Counter: ", "10", "</h1>"]
        );
        assert_eq!(texts("  a b", false), ["  ", "a ", "b"]);
    }

    #[test]
    fn quoted_greater_than_does_not_end_a_tag() {
        assert_eq!(
            texts(r#"<a title="x>y" data-q='>'>t</a>"#, false),
            [r#"<a title="x>y" data-q='>'>"#, "t", "</a>"]
        );
    }

    #[test]
    fn script_content_is_one_token() {
        assert_eq!(
            texts("<script>if (a < b) { x() }</SCRIPT>", false),
            ["<script>", "if (a < b) { x() }", "</SCRIPT>"]
        );
        assert_eq!(
            texts("<textarea></textarea>", false),
            ["<textarea>", "</textarea>"]
        );
    }

    #[test]
    fn lone_angle_brackets_and_refs_are_text_outside_wire_strings() {
        assert_eq!(texts("a < b <#x>", false), ["a ", "< ", "b ", "<#x>"]);
        assert_eq!(texts("a<#x>b", true), ["a", "<#x>", "b"]);
    }

    #[test]
    fn unterminated_markup_runs_to_the_end() {
        assert_eq!(texts("x<!-- open", false), ["x", "<!-- open"]);
        assert_eq!(texts("<div class=\"open", false), ["<div class=\"open"]);
        assert_eq!(texts("<style>a{}", false), ["<style>", "a{}"]);
    }
}
