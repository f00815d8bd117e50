//! Splitting a render into fragments at `id`-bearing elements (protocol §4.2).
//!
//! Splitting walks the tags in document order with a stack of open elements. It reads
//! only what [`TagShape`] holds of each tag: start or end tag, name, void or self-closing,
//! and a usable `id`. The first element with a given `id` starts a fragment; repeats stay
//! inline. An end tag closes the innermost open element of its name (and, implicitly,
//! everything opened inside it); an end tag that matches nothing is ignored; elements
//! never closed end with the render.

use std::ops::Range;

use rustc_hash::FxHashSet;

use super::fragment::Fragment;
use super::token::{is_space, tag_name, Token, TokenKind};

/// Elements without an end tag: a fragment on one of them is a single token.
const VOID: [&[u8]; 13] = [
    b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta",
    b"source", b"track", b"wbr",
];

/// What splitting into fragments reads from a tag token.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TagShape {
    /// A start tag: its name, whether it has no content (a void element or `/>`), and the
    /// byte range of its `id` when that can be a key.
    Open {
        name: (usize, usize),
        self_contained: bool,
        id: Option<(usize, usize)>,
    },
    /// An end tag and its name.
    Close { name: (usize, usize) },
    /// A doctype, processing instruction or anything else splitting skips.
    Other,
}

impl TagShape {
    /// The shape of `token`, a tag cut from `html`; byte ranges are into `html`.
    pub(crate) fn of(html: &str, token: &Token) -> TagShape {
        let b = html.as_bytes();
        let start = token.start as usize;
        let text = &b[start..token.end as usize];
        if text.get(1).is_some_and(|c| c.is_ascii_alphabetic()) {
            let name = tag_name(text, 1);
            let name = (start + name.0, start + name.1);
            let self_contained = VOID
                .iter()
                .any(|v| v.eq_ignore_ascii_case(&b[name.0..name.1]))
                || text.ends_with(b"/>");
            // A key must fit in `<#key>`; maud escapes `<` and `>`, hand-written markup may not.
            let id = id_value(text)
                .map(|(s, e)| (start + s, start + e))
                .filter(|&(s, e)| !b[s..e].iter().any(|&c| c == b'<' || c == b'>'));
            TagShape::Open {
                name,
                self_contained,
                id,
            }
        } else if text.get(1) == Some(&b'/') {
            let name = tag_name(text, 2);
            TagShape::Close {
                name: (start + name.0, start + name.1),
            }
        } else {
            TagShape::Other
        }
    }

    /// Whether splitting treats this tag of `html` and `other` of `other_html` alike.
    pub(crate) fn same_as(&self, html: &str, other: &TagShape, other_html: &str) -> bool {
        let text = |range: (usize, usize)| &html[range.0..range.1];
        let other_text = |range: (usize, usize)| &other_html[range.0..range.1];
        match (*self, *other) {
            (
                TagShape::Open {
                    name,
                    self_contained,
                    id,
                },
                TagShape::Open {
                    name: other_name,
                    self_contained: other_self_contained,
                    id: other_id,
                },
            ) => {
                text(name) == other_text(other_name)
                    && self_contained == other_self_contained
                    && id.map(text) == other_id.map(other_text)
            }
            (TagShape::Close { name }, TagShape::Close { name: other_name }) => {
                text(name) == other_text(other_name)
            }
            (TagShape::Other, TagShape::Other) => true,
            _ => false,
        }
    }
}

/// An element still open while splitting.
struct Open {
    name: (usize, usize),
    /// The fragment this element started, if it did.
    fragment: Option<usize>,
}

/// Splitting's state as it walks the tags in document order: the fragments found so far,
/// the elements still open, and the ids already used.
struct Splitter<'h> {
    html: &'h str,
    fragments: Vec<Fragment>,
    open: Vec<Open>,
    seen: FxHashSet<&'h str>,
    duplicate_ids: bool,
}

impl<'h> Splitter<'h> {
    fn new(html: &'h str, fragments: Vec<Fragment>) -> Self {
        Splitter {
            html,
            fragments,
            open: Vec::new(),
            seen: FxHashSet::default(),
            duplicate_ids: false,
        }
    }

    /// Takes tag token `i`. Returns false for an end tag that matches no open element
    /// (which splitting ignores).
    fn tag(&mut self, i: u32, token: &Token) -> bool {
        let (html, b) = (self.html, self.html.as_bytes());
        match TagShape::of(html, token) {
            TagShape::Open {
                name,
                self_contained,
                id,
            } => {
                let id = id.filter(|&(s, e)| {
                    let new = self.seen.insert(&html[s..e]);
                    self.duplicate_ids |= !new;
                    new
                });
                let fragment = id.map(|(s, e)| {
                    self.fragments.push(Fragment {
                        key: (s as u32, e as u32),
                        start: i,
                        end: i + 1,
                    });
                    self.fragments.len() - 1
                });
                if !self_contained {
                    self.open.push(Open { name, fragment });
                }
                true
            }
            TagShape::Close { name } => {
                let name = &b[name.0..name.1];
                let Some(matched) = self
                    .open
                    .iter()
                    .rposition(|o| b[o.name.0..o.name.1].eq_ignore_ascii_case(name))
                else {
                    return false;
                };
                // Anything opened after the match closes implicitly, before this tag.
                for o in self.open.drain(matched + 1..) {
                    if let Some(f) = o.fragment {
                        self.fragments[f].end = i;
                    }
                }
                if let Some(f) = self.open.pop().and_then(|o| o.fragment) {
                    self.fragments[f].end = i + 1;
                }
                true
            }
            TagShape::Other => true,
        }
    }
}

/// Splits a render's tokens into fragments, root first; also says whether an id repeats.
pub(crate) fn split(html: &str, tokens: &[Token]) -> (Vec<Fragment>, bool) {
    let n = tokens.len() as u32;
    let mut splitter = Splitter::new(html, vec![Fragment::root(tokens.len())]);
    for (i, token) in tokens.iter().enumerate() {
        if token.kind == TokenKind::Tag {
            splitter.tag(i as u32, token);
        }
    }
    // Elements never closed end with the render.
    for o in splitter.open {
        if let Some(f) = o.fragment {
            splitter.fragments[f].end = n;
        }
    }
    (splitter.fragments, splitter.duplicate_ids)
}

/// The fragments of tokens `range`, when they are whole elements: every end tag closes an
/// element opened in the range, every element opened is closed in it, and no id repeats.
pub(crate) fn whole_elements(
    html: &str,
    tokens: &[Token],
    range: Range<u32>,
) -> Option<Vec<Fragment>> {
    let mut splitter = Splitter::new(html, Vec::new());
    for i in range {
        let token = &tokens[i as usize];
        if token.kind == TokenKind::Tag && !splitter.tag(i, token) {
            return None;
        }
    }
    (splitter.open.is_empty() && !splitter.duplicate_ids).then_some(splitter.fragments)
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

    #[test]
    fn id_is_found_among_other_attributes_only_as_a_whole_name() {
        assert_eq!(id_value(br#"<a data-id="no" id='yes'>"#), Some((20, 23)));
        assert_eq!(id_value(br#"<a idx="no">"#), None);
        assert_eq!(id_value(br#"<a id="">"#), None);
        assert_eq!(id_value(b"<a id=bare>"), Some((6, 10)));
    }
}
