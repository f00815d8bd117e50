//! Streams (protocol §4.5): large or endless lists whose items the browser keeps and the
//! server forgets.
//!
//! A chat log or a table of 10,000 users would cost every view the memory of every row if
//! the view kept them to re-render. A [`Stream`] holds only what changed since the last
//! render: items to insert (or update: an existing DOM id is updated in place), ids to
//! delete, a reset. Rendering sends those and drops them; the client merges them into the
//! children of the `phx-update="stream"` container it already has.

use std::cell::Cell;
use std::fmt::Display;

use maud::{html, Markup, PreEscaped};

use crate::protocol::attribute;

/// Where an inserted item goes among the container's children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// Before every other child (`stream_insert(at: 0)`).
    First,
    /// After every other child (`at: -1`, the default).
    Last,
    /// Before the child at this index (`at: n`).
    Index(usize),
}

impl At {
    fn attribute(self) -> Option<String> {
        match self {
            At::First => Some("0".into()),
            At::Last => None,
            At::Index(n) => Some(n.to_string()),
        }
    }
}

/// How many children the container keeps once new items are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The first `n` children.
    First(usize),
    /// The last `n` children (a chat log keeping the newest messages).
    Last(usize),
}

enum Entry<T> {
    Insert { dom_id: String, at: At, item: T },
    Delete { dom_id: String },
}

/// Items of a list that the browser keeps: insert, update and delete them; the view forgets
/// each one once it has been rendered.
///
/// Keep a `Stream` in the view's struct, change it in callbacks, and render it in the
/// template with [`render`](Self::render), which writes the container and the pending
/// items (each gets its DOM id, `NAME-KEY`, on its first element). A view's memory does not
/// grow with the number of items it has streamed.
///
/// ```
/// use liveview_core::maud::html;
/// use liveview_core::stream::{Limit, Stream};
///
/// struct Message { id: u64, body: String }
///
/// let mut messages = Stream::new("messages").limit(Limit::Last(50));
/// messages.insert(1, Message { id: 1, body: "hello".into() });
/// messages.insert(2, Message { id: 2, body: "<b>hi</b>".into() });
///
/// let page = html! {
///     (messages.render(|m| html! { p.message { (m.body) } }))
/// };
/// assert_eq!(
///     page.into_string(),
///     "<div id=\"messages\" phx-update=\"stream\" data-phx-stream-limit=\"-50\">\
///      <p id=\"messages-1\" class=\"message\">hello</p>\
///      <p id=\"messages-2\" class=\"message\">&lt;b&gt;hi&lt;/b&gt;</p></div>"
/// );
/// // Rendered once, then forgotten: the next render sends only what changed since.
/// assert!(!messages.render(|m| html! { p { (m.body) } }).into_string().contains("hello"));
/// ```
pub struct Stream<T> {
    name: String,
    tag: &'static str,
    class: Option<String>,
    limit: Option<Limit>,
    /// Taken by `render`, which has only `&self` (templates borrow the view).
    pending: Cell<Vec<Entry<T>>>,
    reset: Cell<bool>,
}

impl<T> std::fmt::Debug for Stream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("name", &self.name)
            .field("tag", &self.tag)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl<T> Stream<T> {
    /// An empty stream whose container is `<div id="NAME">`; items get ids `NAME-KEY`.
    pub fn new(name: impl Into<String>) -> Self {
        Stream {
            name: name.into(),
            tag: "div",
            class: None,
            limit: None,
            pending: Cell::new(Vec::new()),
            reset: Cell::new(false),
        }
    }

    /// Renders the container as another element, e.g. `"tbody"` or `"ul"`.
    pub fn tag(mut self, tag: &'static str) -> Self {
        self.tag = tag;
        self
    }

    /// Gives the container a `class` attribute.
    pub fn class(mut self, class: impl Into<String>) -> Self {
        self.class = Some(class.into());
        self
    }

    /// Keeps at most this many children in the browser after each update.
    pub fn limit(mut self, limit: Limit) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Changes the limit from the next render on: a list read back from the top keeps its
    /// first items (`First`), one following new items keeps its last (`Last`).
    pub fn limit_to(&mut self, limit: Limit) -> &mut Self {
        self.limit = Some(limit);
        self
    }

    /// The container's id, the stream's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The DOM id of the item with `key`: `NAME-KEY`.
    pub fn dom_id(&self, key: impl Display) -> String {
        format!("{}-{key}", self.name)
    }

    /// Appends an item, or updates it in place when an item with its key is already there.
    pub fn insert(&mut self, key: impl Display, item: T) -> &mut Self {
        self.insert_at(At::Last, key, item)
    }

    /// Inserts an item at a position, or updates it in place when its key is already there.
    pub fn insert_at(&mut self, at: At, key: impl Display, item: T) -> &mut Self {
        let dom_id = self.dom_id(key);
        self.pending
            .get_mut()
            .push(Entry::Insert { dom_id, at, item });
        self
    }

    /// Appends many items in order.
    pub fn extend<K: Display>(&mut self, items: impl IntoIterator<Item = (K, T)>) -> &mut Self {
        for (key, item) in items {
            self.insert(key, item);
        }
        self
    }

    /// Removes the item with `key` from the browser.
    pub fn delete(&mut self, key: impl Display) -> &mut Self {
        let dom_id = self.dom_id(key);
        let pending = self.pending.get_mut();
        pending.retain(|e| !matches!(e, Entry::Insert { dom_id: d, .. } if *d == dom_id));
        pending.push(Entry::Delete { dom_id });
        self
    }

    /// Drops every item the browser has; items inserted afterwards (before the next render)
    /// are the new content.
    pub fn reset(&mut self) -> &mut Self {
        self.pending.get_mut().clear();
        *self.reset.get_mut() = true;
        self
    }

    /// Writes the container with the items inserted or deleted since the last render, and
    /// forgets them. `item` renders one item; its first element gets the item's DOM id (and
    /// its position when not last), so it must not set an `id` itself.
    pub fn render(&self, item: impl Fn(&T) -> Markup) -> Markup {
        let pending = self.pending.take();
        let reset = self.reset.replace(false);
        let limit = self.limit.map(|limit| match limit {
            Limit::First(n) => n.to_string(),
            Limit::Last(n) => format!("-{n}"),
        });
        let mut children = String::new();
        for entry in &pending {
            match entry {
                Entry::Insert {
                    dom_id,
                    at,
                    item: value,
                } => {
                    let mut attributes = format!(" id=\"{}\"", escape(dom_id));
                    if let Some(at) = at.attribute() {
                        attributes.push_str(&format!(" {}=\"{at}\"", attribute::STREAM_AT));
                    }
                    children.push_str(&with_attributes(item(value).into_string(), &attributes));
                }
                Entry::Delete { dom_id } => children.push_str(&format!(
                    "<template id=\"{}\" {}></template>",
                    escape(dom_id),
                    attribute::STREAM_DELETE
                )),
            }
        }
        let tag = self.tag;
        let mut out = format!(
            "<{tag} id=\"{}\" {}=\"{}\"",
            escape(&self.name),
            attribute::UPDATE,
            attribute::UPDATE_STREAM
        );
        if let Some(class) = &self.class {
            out.push_str(&format!(" class=\"{}\"", escape(class)));
        }
        if let Some(limit) = limit {
            out.push_str(&format!(" {}=\"{limit}\"", attribute::STREAM_LIMIT));
        }
        if reset {
            out.push_str(&format!(" {}", attribute::STREAM_RESET));
        }
        out.push('>');
        out.push_str(&children);
        out.push_str(&format!("</{tag}>"));
        PreEscaped(out)
    }
}

/// `text` escaped for an attribute value or element content.
fn escape(text: &str) -> String {
    html! { (text) }.into_string()
}

/// Inserts `attributes` (starting with a space) after the name of the first start tag in
/// `markup`, so an item's root element carries its id without the template writing it.
fn with_attributes(mut markup: String, attributes: &str) -> String {
    let bytes = markup.as_bytes();
    let start = (0..bytes.len())
        .find(|&i| bytes[i] == b'<' && bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic));
    match start {
        Some(start) => {
            let end = bytes[start + 1..]
                .iter()
                .position(|&b| b.is_ascii_whitespace() || b == b'>' || b == b'/')
                .map_or(bytes.len(), |n| start + 1 + n);
            markup.insert_str(end, attributes);
            markup
        }
        // Text without an element: wrap it so it has somewhere to carry its id.
        None => format!("<div{attributes}>{markup}</div>"),
    }
}
