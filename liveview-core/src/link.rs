//! Links that change the URL without a page load: a *patch* link stays in the view
//! (`handle_params` runs), a *navigate* link moves to another view of the live session over
//! the same socket (protocol §5, §8.2). Without JavaScript both are ordinary links.

use maud::{html, Markup, Render};

/// What a click on the link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Patch,
    Navigate,
}

/// An `<a>` that the client follows live; build one with [`patch`] or [`navigate`].
///
/// ```
/// use liveview_core::link;
/// use liveview_core::maud::html;
///
/// let markup = html! { (link::patch("/users/new", "New User").class("button")) };
/// assert_eq!(
///     markup.into_string(),
///     r#"<a href="/users/new" data-phx-link="patch" class="button">New User</a>"#
/// );
/// ```
#[derive(Debug, Clone)]
#[must_use = "a link shows only when rendered"]
pub struct Link {
    href: String,
    kind: Kind,
    label: Markup,
    class: Option<String>,
}

/// A link to another URL of the same view: the client pushes it to the history and sends
/// it to the view, whose `handle_params` runs.
pub fn patch(href: impl Into<String>, label: impl Render) -> Link {
    Link::new(Kind::Patch, href.into(), label)
}

/// A link to another view of the live session: the client joins it over the open socket.
///
/// ```
/// use liveview_core::link;
/// use liveview_core::maud::html;
///
/// let markup = html! { (link::navigate("/chat", "Chat")) };
/// assert_eq!(
///     markup.into_string(),
///     r#"<a href="/chat" data-phx-link="navigate">Chat</a>"#
/// );
/// ```
pub fn navigate(href: impl Into<String>, label: impl Render) -> Link {
    Link::new(Kind::Navigate, href.into(), label)
}

impl Link {
    fn new(kind: Kind, href: String, label: impl Render) -> Self {
        Link {
            href,
            kind,
            label: label.render(),
            class: None,
        }
    }

    /// Sets the `class` attribute.
    pub fn class(mut self, class: impl Into<String>) -> Self {
        self.class = Some(class.into());
        self
    }
}

impl Render for Link {
    fn render(&self) -> Markup {
        let kind = match self.kind {
            Kind::Patch => crate::protocol::attribute::LINK_PATCH,
            Kind::Navigate => crate::protocol::attribute::LINK_NAVIGATE,
        };
        html! {
            a href=(self.href) data-phx-link=(kind) class=[self.class.as_deref()] { (self.label) }
        }
    }
}
