//! The page shell: nav bar, styles, and the connection-state banner.

use liveview_core::link;
use liveview_core::maud::{html, Markup, PreEscaped, DOCTYPE};
use liveview_core::Page;

/// The screens in the nav bar, in order.
const SCREENS: &[(&str, &str)] = &[
    ("/counter", "Counter"),
    ("/search", "Search"),
    ("/chat", "Chat"),
    ("/users", "Users"),
];

const STYLE: &str = include_str!("style.css");

/// After every page's title.
const TITLE_SUFFIX: &str = " · LiveView for Rust";

/// Wraps every view: nav bar, styles, and a banner shown while the socket reconnects.
pub fn layout(page: Page<'_>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // data-suffix: the client frames each live view's title the same way.
                title data-suffix=(TITLE_SUFFIX) { (page.title) (TITLE_SUFFIX) }
                // Inline, so no request (and no console 404) for /favicon.ico.
                link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ctext y='14' font-size='14'%3E%E2%9A%A1%3C/text%3E%3C/svg%3E";
                style { (PreEscaped(STYLE)) }
                (page.head)
            }
            body {
                nav class="topbar" {
                    a class="brand" href="/" { "⚡ LiveView for Rust" }
                    // Moving between screens keeps the socket: a join, not a page load.
                    @for (href, label) in SCREENS {
                        (link::navigate(*href, *label))
                    }
                }
                div class="reconnecting" role="status" { "Connection lost, reconnecting…" }
                main { (page.body) }
            }
        }
    }
}
