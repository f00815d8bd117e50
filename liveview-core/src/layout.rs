//! The page around a view on the first (plain HTTP) render.

use maud::{html, Markup, PreEscaped, DOCTYPE};

/// What a layout gets to build the page: put `head` in `<head>` and `body` where the live
/// view should appear.
///
/// ```
/// use liveview_core::{maud::html, Page};
///
/// fn layout(page: Page) -> liveview_core::maud::Markup {
///     html! {
///         (liveview_core::maud::DOCTYPE)
///         html { head { title { (page.title) } (page.head) } body { nav { "My app" } (page.body) } }
///     }
/// }
/// ```
#[derive(Debug)]
pub struct Page<'a> {
    /// The view's title, or empty.
    pub title: &'a str,
    /// The client `<script>` tag (and anything else the framework needs in the head).
    pub head: Markup,
    /// The live container holding the rendered view.
    pub body: Markup,
}

/// A function from [`Page`] to the full HTML document.
pub type Layout = dyn Fn(Page<'_>) -> Markup + Send + Sync;

/// The default layout: a bare HTML5 page.
pub fn default_layout(page: Page<'_>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (page.title) }
                (page.head)
            }
            body { (page.body) }
        }
    }
}

/// The element the client makes live (protocol §1): the rendered view inside, the signed
/// session token on it.
pub(crate) fn live_container(token: &str, rendered: String) -> Markup {
    html! {
        div id="phx-root" data-phx-main data-phx-session=(token) { (PreEscaped(rendered)) }
    }
}

pub(crate) fn script_tag(path: &str) -> Markup {
    html! { script defer src=(path) {} (PreEscaped("")) }
}
