//! `Socket`: the connection facts and side effects available to a view's callbacks.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::{Flash, LiveView, Mailbox};

/// Where the client should go after the current callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Navigation {
    Patch { url: String, replace: bool },
    Navigate(String),
    Redirect(String),
}

/// What a view sees of its connection: whether it is live, and the effects it can ask for.
///
/// Effects are collected during a callback and sent with the render that follows it.
pub struct Socket<V: LiveView> {
    connected: bool,
    mailbox: Mailbox<V::Info>,
    pub(crate) flash: Flash,
    pub(crate) events: Vec<(String, Value)>,
    pub(crate) navigation: Option<Navigation>,
}

impl<V: LiveView> std::fmt::Debug for Socket<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("connected", &self.connected)
            .field("flash", &self.flash)
            .field("events", &self.events)
            .field("navigation", &self.navigation)
            .finish_non_exhaustive()
    }
}

impl<V: LiveView> Socket<V> {
    pub(crate) fn new(connected: bool, mailbox: Mailbox<V::Info>) -> Self {
        Socket {
            connected,
            mailbox,
            flash: Flash::default(),
            events: Vec::new(),
            navigation: None,
        }
    }

    /// True once the websocket has joined; false during the plain HTML render.
    pub fn connected(&self) -> bool {
        self.connected
    }

    /// A handle for sending this view messages later, from anywhere.
    pub fn mailbox(&self) -> Mailbox<V::Info> {
        self.mailbox.clone()
    }

    /// Delivers `msg` to `handle_info` after `delay` (a timer).
    pub fn send_after(&self, delay: Duration, msg: V::Info) {
        self.mailbox.send_after(delay, msg);
    }

    /// Sends the browser a named event with a JSON payload; the client dispatches it on
    /// `window` as `phx:NAME`.
    pub fn push_event(&mut self, name: &str, payload: impl Serialize) {
        let payload = serde_json::to_value(payload).unwrap_or(Value::Null);
        self.events.push((name.to_owned(), payload));
    }

    /// Shows a flash message of `kind` (`"info"`, `"error"`, ...).
    pub fn put_flash(&mut self, kind: &str, message: &str) {
        self.flash.put(kind, message);
    }

    /// Removes the flash of `kind`, or every flash with `None`.
    pub fn clear_flash(&mut self, kind: Option<&str>) {
        self.flash.clear(kind);
    }

    /// The current flash messages.
    pub fn flash(&self) -> &Flash {
        &self.flash
    }

    /// Changes the URL without leaving the view: `handle_params` runs with the new URL and
    /// the browser's history gets an entry.
    pub fn push_patch(&mut self, url: impl Into<String>) {
        self.navigation = Some(Navigation::Patch {
            url: url.into(),
            replace: false,
        });
    }

    /// Like [`push_patch`](Self::push_patch), replacing the current history entry.
    pub fn replace_patch(&mut self, url: impl Into<String>) {
        self.navigation = Some(Navigation::Patch {
            url: url.into(),
            replace: true,
        });
    }

    /// Moves the browser to another live view.
    pub fn push_navigate(&mut self, url: impl Into<String>) {
        self.navigation = Some(Navigation::Navigate(url.into()));
    }

    /// Sends the browser to any URL with a full page load.
    pub fn redirect(&mut self, url: impl Into<String>) {
        self.navigation = Some(Navigation::Redirect(url.into()));
    }
}
