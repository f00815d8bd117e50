//! Stream items leave a render once it is sent (protocol §4.5).
//!
//! The browser keeps the children of a `phx-update="stream"` container after it has merged
//! them; the server forgets them. Both then hold the container as its start and end tags
//! only, so the next diff says nothing about items already sent (no `null`s, no removed
//! references), and a view keeps none of their HTML.

use memchr::memmem;

use super::fragment::{offset, Fragment};
use super::rendered::Rendered;
use crate::protocol::attribute;

impl Rendered {
    /// This render as the client holds it once applied: every stream container emptied.
    /// `None` when no stream container has children (the render is already that).
    ///
    /// ```
    /// use liveview_core::render::Rendered;
    ///
    /// let sent = Rendered::new(
    ///     r#"<h1>Chat</h1><div id="m" phx-update="stream"><p id="m-1">hi</p></div>"#.into(),
    /// );
    /// let kept = sent.without_stream_items().unwrap();
    /// assert_eq!(kept.html(), r#"<h1>Chat</h1><div id="m" phx-update="stream"></div>"#);
    /// assert!(kept.without_stream_items().is_none());
    /// assert_eq!(kept, Rendered::new(kept.html().to_string()));
    /// ```
    pub fn without_stream_items(&self) -> Option<Rendered> {
        let marker = stream_marker();
        memmem::find(self.html.as_bytes(), marker.as_bytes())?;
        // Token ranges [from, to) to drop: every container's inner tokens; and the byte
        // range of a reset in a container's start tag, which is forgotten too (a reset in
        // the next render must be a change to send).
        let reset = format!(" {}", attribute::STREAM_RESET);
        let mut cuts: Vec<(usize, usize)> = Vec::new();
        let mut resets = Vec::new();
        for (index, fragment) in self.fragments.iter().enumerate() {
            if !self.is_stream_container(index, &marker) {
                continue;
            }
            let (start, end) = (fragment.start as usize, fragment.end as usize);
            // A container inside an item already cut goes with it.
            if cuts.last().is_some_and(|last| start < last.1) {
                continue;
            }
            // The client drops the first reset from the start tag, and only there.
            let tag = &self.tokens[start];
            if let Some(at) = tag.text(&self.html).find(&reset) {
                let at = tag.start as usize + at;
                resets.push((at, at + reset.len()));
            }
            if end - start >= 3 {
                cuts.push((start + 1, end - 1));
            }
        }
        if cuts.is_empty() && resets.is_empty() {
            return None;
        }
        if !resets.is_empty() {
            let mut removed: Vec<(usize, usize)> =
                cuts.iter().map(|cut| self.byte_range(cut)).collect();
            removed.extend(resets);
            removed.sort_unstable();
            return Some(Rendered::new(self.without_bytes(&removed)));
        }
        Some(self.cut(&cuts))
    }

    /// Whether fragment `index` is a stream container as the client sees one (§4.5): its
    /// first and last tokens are its own (not a child's), the first carries the marker,
    /// and once merged it keeps these two. The root counts too, as the client cannot tell
    /// it apart; a fragment whose last token is a child's (an element never closed) does
    /// not, as its last own token would be a reference to an item forgotten.
    fn is_stream_container(&self, index: usize, marker: &str) -> bool {
        let fragment = &self.fragments[index];
        let (start, end) = (fragment.start, fragment.end);
        let mut children = self.fragments[index + 1..]
            .iter()
            .take_while(|child| child.start < end);
        end - start >= 2
            && self.tokens[start as usize]
                .text(&self.html)
                .contains(marker)
            && !children.any(|child| child.start == start || child.end == end)
    }

    /// The byte range of the token range `[from, to)`.
    fn byte_range(&self, &(from, to): &(usize, usize)) -> (usize, usize) {
        (
            self.tokens[from].start as usize,
            self.tokens[to].start as usize,
        )
    }

    /// The HTML without the byte ranges `removed` (sorted, disjoint).
    fn without_bytes(&self, removed: &[(usize, usize)]) -> String {
        let mut html = String::with_capacity(self.html.len());
        let mut at = 0;
        for &(from, to) in removed {
            html.push_str(&self.html[at..from]);
            at = to;
        }
        html.push_str(&self.html[at..]);
        html
    }

    /// This render without the token ranges `cuts` (sorted, disjoint, each inside one
    /// fragment's own range), without tokenizing again: what the client holds once it has
    /// forgotten the items. That is the shorter HTML split from scratch, except when an id
    /// repeats: the repeat of a forgotten item's id stays inline, as it does on the client,
    /// where splitting again would make it a fragment the client does not have.
    fn cut(&self, cuts: &[(usize, usize)]) -> Rendered {
        let byte_range = |cut: &(usize, usize)| self.byte_range(cut);
        let removed: Vec<(usize, usize)> = cuts.iter().map(byte_range).collect();
        let html = self.without_bytes(&removed);
        // Tokens and bytes removed before token index `i`.
        let removed_before = |i: usize| -> (i64, i64) {
            cuts.iter()
                .filter(|(_, to)| *to <= i)
                .fold((0, 0), |(tokens, bytes), cut| {
                    let (from, to) = byte_range(cut);
                    (tokens + (cut.1 - cut.0) as i64, bytes + (to - from) as i64)
                })
        };
        let inside = |i: usize| cuts.iter().any(|&(from, to)| from <= i && i < to);
        let mut tokens = Vec::with_capacity(self.tokens.len());
        let mut next_cut = 0;
        let mut shift = 0i64;
        for (i, token) in self.tokens.iter().enumerate() {
            if let Some(&(from, to)) = cuts.get(next_cut) {
                if i == to {
                    let (bytes_from, bytes_to) = byte_range(&cuts[next_cut]);
                    shift += (bytes_to - bytes_from) as i64;
                    next_cut += 1;
                } else if i >= from {
                    continue;
                }
            }
            let mut token = *token;
            token.start = offset(token.start, -shift);
            token.end = offset(token.end, -shift);
            tokens.push(token);
        }
        let fragments = self
            .fragments
            .iter()
            .filter(|f| !inside(f.start as usize))
            .map(|f| {
                let (tokens_before_start, bytes_before) = removed_before(f.start as usize);
                let (tokens_before_end, _) = removed_before(f.end as usize);
                Fragment {
                    key: (
                        offset(f.key.0, -bytes_before),
                        offset(f.key.1, -bytes_before),
                    ),
                    start: offset(f.start, -tokens_before_start),
                    end: offset(f.end, -tokens_before_end),
                }
            })
            .collect();
        Rendered {
            html,
            tokens,
            fragments,
            duplicate_ids: self.duplicate_ids,
        }
    }
}

/// The text that marks a stream container's start tag: `phx-update="stream"`, exactly as
/// the server writes it and the client looks for it.
pub(crate) fn stream_marker() -> String {
    format!("{}=\"{}\"", attribute::UPDATE, attribute::UPDATE_STREAM)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cut render must be exactly the render of the shorter HTML.
    fn check(html: &str, expected: &str) {
        let kept = Rendered::new(html.to_owned())
            .without_stream_items()
            .expect("a container with items");
        assert_eq!(kept.html(), expected);
        assert_eq!(kept, Rendered::new(expected.to_owned()), "{html}");
    }

    #[test]
    fn cutting_items_gives_the_render_of_the_shorter_html() {
        check(
            r#"<p id="a">x</p><ul id="s" phx-update="stream"><li id="s-1">one <b id="n">1</b></li><li id="s-2">two</li></ul><p id="z">after <i id="y">y</i></p>"#,
            r#"<p id="a">x</p><ul id="s" phx-update="stream"></ul><p id="z">after <i id="y">y</i></p>"#,
        );
        check(
            r#"<div id="s" phx-update="stream" class="log">text <p id="s-1">a</p> more</div><div id="t" phx-update="stream"><p id="t-1">b</p></div><footer id="f">end</footer>"#,
            r#"<div id="s" phx-update="stream" class="log"></div><div id="t" phx-update="stream"></div><footer id="f">end</footer>"#,
        );
        check(
            r#"<main id="m"><div id="s" phx-update="stream"><section id="s-1"><div id="inner" phx-update="stream"><p id="i-1">deep</p></div></section></div></main>"#,
            r#"<main id="m"><div id="s" phx-update="stream"></div></main>"#,
        );
    }

    #[test]
    fn the_repeat_of_a_forgotten_items_id_stays_inline_as_on_the_client() {
        let sent = Rendered::new(
            r#"<div id="s" phx-update="stream"><p id="x">1</p></div><p id="x">dup</p>"#.into(),
        );
        let kept = sent.without_stream_items().expect("a container with items");
        assert_eq!(
            kept.html(),
            r#"<div id="s" phx-update="stream"></div><p id="x">dup</p>"#
        );
        let keys: Vec<&str> = kept.fragments.iter().map(|f| kept.key(f)).collect();
        assert_eq!(keys, ["", "s"]);
    }

    #[test]
    fn a_reset_is_forgotten_with_the_items_even_when_there_are_none() {
        check(
            r#"<ul id="s" phx-update="stream" data-phx-stream-reset><li id="s-1">one</li></ul>"#,
            r#"<ul id="s" phx-update="stream"></ul>"#,
        );
        check(
            r#"<ul id="s" phx-update="stream" data-phx-stream-reset></ul>"#,
            r#"<ul id="s" phx-update="stream"></ul>"#,
        );
    }

    /// The client drops the first reset of the container's start tag and nothing else; a
    /// user's text that says the same stays, or the server's copy would differ from it.
    #[test]
    fn only_the_containers_own_reset_is_forgotten() {
        check(
            r#"<ul id="s" phx-update="stream" data-phx-stream-reset title="a data-phx-stream-reset"><li id="s-1">one</li></ul><p> data-phx-stream-reset</p>"#,
            r#"<ul id="s" phx-update="stream" title="a data-phx-stream-reset"></ul><p> data-phx-stream-reset</p>"#,
        );
    }

    #[test]
    fn empty_containers_and_plain_renders_have_nothing_to_cut() {
        assert!(
            Rendered::new(r#"<div id="s" phx-update="stream"></div>"#.into())
                .without_stream_items()
                .is_none()
        );
        assert!(Rendered::new("<p>plain</p>".into())
            .without_stream_items()
            .is_none());
    }
}
