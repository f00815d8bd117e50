//! Stream items leave a render once it is sent (protocol §4.5).
//!
//! The browser keeps the children of a `phx-update="stream"` container after it has merged
//! them; the server forgets them. Both then hold the container as its start and end tags
//! only, so the next diff says nothing about items already sent (no `null`s, no removed
//! references), and a view keeps none of their HTML.

use memchr::memmem;

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
    /// ```
    pub fn without_stream_items(&self) -> Option<Rendered> {
        let marker = stream_marker();
        memmem::find(self.html.as_bytes(), marker.as_bytes())?;
        let mut cuts: Vec<(usize, usize)> = Vec::new();
        for fragment in self.fragments.iter().skip(1) {
            let (start, end) = (fragment.start as usize, fragment.end as usize);
            if end - start < 3 {
                continue;
            }
            let open = self.tokens[start];
            let close = self.tokens[end - 1];
            if !open.text(&self.html).contains(&marker) || !close.text(&self.html).starts_with("</")
            {
                continue;
            }
            let cut = (open.end as usize, close.start as usize);
            // A container inside an item already cut goes with it.
            if cuts.last().is_some_and(|last| cut.0 < last.1) {
                continue;
            }
            cuts.push(cut);
        }
        if cuts.is_empty() {
            return None;
        }
        let cut_bytes: usize = cuts.iter().map(|(from, to)| to - from).sum();
        let mut html = String::with_capacity(self.html.len() - cut_bytes);
        let mut at = 0;
        for (from, to) in cuts {
            html.push_str(&self.html[at..from]);
            at = to;
        }
        html.push_str(&self.html[at..]);
        // Kept until the next render, so it holds no spare room from the bigger one.
        let mut kept = self.following(html).0;
        kept.tokens.shrink_to_fit();
        kept.fragments.shrink_to_fit();
        Some(kept)
    }
}

/// The text that marks a stream container's start tag: `phx-update="stream"`, exactly as
/// the server writes it and the client looks for it.
pub(crate) fn stream_marker() -> String {
    format!("{}=\"{}\"", attribute::UPDATE, attribute::UPDATE_STREAM)
}
