//! Flash messages: short notices ("User created successfully") shown above the view.
//!
//! A flash lives until it is clicked away or its time is up (`LiveConfig::flash_timeout`),
//! and it survives leaving the view: a `push_navigate` hands it to the next view over the
//! socket, and a `redirect` (a page load) carries it in a signed cookie that the next
//! page's dead render reads and clears, and whose page token carries it to the join.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use maud::{html, Markup};
use serde::{Deserialize, Serialize};

/// The flash messages of a view, by kind (`"info"`, `"error"`, ...).
///
/// The framework renders them as the first child of the live container, inside the diffed
/// tree, so they appear and disappear with the same patches as the view. A click on a
/// message clears it, and so does the flash timeout.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    messages: BTreeMap<String, String>,
    /// When each message was put, for the timeout; not sent anywhere: a flash that moves
    /// to another page starts its time again there.
    #[serde(skip)]
    put_at: BTreeMap<String, Instant>,
}

/// The built-in event that clears one kind of flash.
pub(crate) const CLEAR_FLASH: &str = "lv:clear-flash";

/// The cookie a redirect's flash rides in to the next page (protocol §3).
pub(crate) const FLASH_COOKIE: &str = "lv_flash";

/// What the signer signs a flash for: a flash token is not a page token.
pub(crate) const FLASH_TOKEN: &str = "lv:flash";

impl Flash {
    pub(crate) fn put(&mut self, kind: &str, message: &str) {
        self.messages.insert(kind.to_owned(), message.to_owned());
        self.put_at.insert(kind.to_owned(), Instant::now());
    }

    pub(crate) fn clear(&mut self, kind: Option<&str>) {
        match kind {
            Some(kind) => {
                self.messages.remove(kind);
                self.put_at.remove(kind);
            }
            None => {
                self.messages.clear();
                self.put_at.clear();
            }
        }
    }

    /// Whether there are no messages.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The message of a kind.
    pub fn get(&self, kind: &str) -> Option<&str> {
        self.messages.get(kind).map(String::as_str)
    }

    /// Starts every message's time now: the flash has just arrived on a new page.
    pub(crate) fn arrived(&mut self) {
        let now = Instant::now();
        self.put_at = self.messages.keys().map(|k| (k.clone(), now)).collect();
    }

    /// When the oldest message's time is up.
    pub(crate) fn next_expiry(&self, timeout: Duration) -> Option<Instant> {
        self.put_at.values().min().map(|&at| at + timeout)
    }

    /// Removes the messages whose time is up; whether any went.
    pub(crate) fn expire(&mut self, timeout: Duration, now: Instant) -> bool {
        let before = self.messages.len();
        let expired: Vec<String> = self
            .put_at
            .iter()
            .filter(|(_, &at)| at + timeout <= now)
            .map(|(kind, _)| kind.clone())
            .collect();
        for kind in &expired {
            self.clear(Some(kind));
        }
        self.messages.len() != before
    }

    /// The markup: a `#flash` container with one `p.flash.flash-KIND[role=alert]` per message.
    pub fn render(&self) -> Markup {
        html! {
            div id="flash" {
                @for (kind, message) in &self.messages {
                    p class={"flash flash-" (kind)} role="alert"
                        phx-click=(CLEAR_FLASH) phx-value-kind=(kind) { (message) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_expires_after_the_timeout_and_not_before() {
        let mut flash = Flash::default();
        flash.put("info", "Saved");
        let timeout = Duration::from_secs(5);
        let due = flash.next_expiry(timeout).unwrap();
        assert!(!flash.expire(timeout, due - Duration::from_millis(1)));
        assert_eq!(flash.get("info"), Some("Saved"));
        assert!(flash.expire(timeout, due));
        assert!(flash.is_empty());
        assert_eq!(flash.next_expiry(timeout), None);
    }

    #[test]
    fn a_flash_travels_as_its_messages_and_starts_its_time_again_on_arrival() {
        let mut flash = Flash::default();
        flash.put("info", "Saved");
        let json = serde_json::to_string(&flash).unwrap();
        assert_eq!(json, r#"{"messages":{"info":"Saved"}}"#);
        let mut arrived: Flash = serde_json::from_str(&json).unwrap();
        assert_eq!(arrived.next_expiry(Duration::from_secs(5)), None);
        arrived.arrived();
        assert!(arrived.next_expiry(Duration::from_secs(5)).is_some());
    }
}
