//! Flash messages: short notices ("User created successfully") shown above the view.

use std::collections::BTreeMap;

use maud::{html, Markup};

/// The flash messages of a view, by kind (`"info"`, `"error"`, ...).
///
/// The framework renders them as the first child of the live container, inside the diffed
/// tree, so they appear and disappear with the same patches as the view. A click on a
/// message clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flash(BTreeMap<String, String>);

/// The built-in event that clears one kind of flash.
pub(crate) const CLEAR_FLASH: &str = "lv:clear-flash";

impl Flash {
    pub(crate) fn put(&mut self, kind: &str, message: &str) {
        self.0.insert(kind.to_owned(), message.to_owned());
    }

    pub(crate) fn clear(&mut self, kind: Option<&str>) {
        match kind {
            Some(kind) => {
                self.0.remove(kind);
            }
            None => self.0.clear(),
        }
    }

    /// The message of a kind.
    pub fn get(&self, kind: &str) -> Option<&str> {
        self.0.get(kind).map(String::as_str)
    }

    /// The markup: a `#flash` container with one `p.flash.flash-KIND[role=alert]` per message.
    pub fn render(&self) -> Markup {
        html! {
            div id="flash" {
                @for (kind, message) in &self.0 {
                    p class={"flash flash-" (kind)} role="alert"
                        phx-click=(CLEAR_FLASH) phx-value-kind=(kind) { (message) }
                }
            }
        }
    }
}
