//! `Socket`: the connection facts and side effects available to a view's callbacks.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Extensions;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::mpsc::error::TrySendError;

use crate::metrics;
use crate::presence::{Presence, Tracked};
use crate::pubsub::{Delivery, SharedPubSub, Subscriber, SubscriberId};
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
    id: SubscriberId,
    pubsub: SharedPubSub,
    presence: Presence,
    subscriptions: Vec<String>,
    tracked: Vec<Tracked>,
    pub(crate) lag: Arc<Lag>,
    extensions: Arc<Extensions>,
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
    pub(crate) fn new(
        connected: bool,
        mailbox: Mailbox<V::Info>,
        pubsub: SharedPubSub,
        presence: Presence,
        extensions: Arc<Extensions>,
    ) -> Self {
        Socket {
            connected,
            mailbox,
            id: SubscriberId::next(),
            pubsub,
            presence,
            subscriptions: Vec::new(),
            tracked: Vec::new(),
            lag: Arc::default(),
            extensions,
            flash: Flash::default(),
            events: Vec::new(),
            navigation: None,
        }
    }

    /// True once the websocket has joined; false during the plain HTML render.
    pub fn connected(&self) -> bool {
        self.connected
    }

    /// A value the app gave every view with [`Live::with_extension`](crate::Live::with_extension)
    /// (a database pool, an index), by type; `None` when there is none of that type.
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.extensions.get::<T>()
    }

    /// A handle for sending this view messages later, from anywhere.
    pub fn mailbox(&self) -> Mailbox<V::Info> {
        self.mailbox.clone()
    }

    /// Delivers `msg` to `handle_info` after `delay` (a timer).
    pub fn send_after(&self, delay: Duration, msg: V::Info) {
        self.mailbox.send_after(delay, msg);
    }

    /// Subscribes the view to `topic`: every message of type `M` broadcast there arrives in
    /// `handle_info` as `into(message)`, shared (`Arc`) with every other subscriber. Only once connected (the dead render has no
    /// process to deliver to); the subscription ends with the view's process.
    ///
    /// A message that finds the view's mailbox full is not waited for: it is counted,
    /// logged, and the view's `handle_lagged` runs so it can reload what it missed.
    pub fn subscribe<M>(&mut self, topic: &str, into: fn(Arc<M>) -> V::Info)
    where
        M: DeserializeOwned + Send + Sync + 'static,
    {
        let Some(sender) = self.mailbox.sender().cloned() else {
            return;
        };
        if !self.connected {
            return;
        }
        let lag = self.lag.clone();
        let lag_topic: Arc<str> = topic.into();
        // Delivery runs on the broadcaster's task: the lag is logged in this view's span.
        let view_span = tracing::Span::current();
        self.pubsub.subscribe(
            topic,
            Subscriber::new(self.id, move |message| {
                let Some(value) = message.get_shared::<M>() else {
                    return Delivery::Skipped;
                };
                match sender.try_send(into(value)) {
                    Ok(()) => Delivery::Queued,
                    Err(TrySendError::Full(_)) => {
                        lag.record(&lag_topic, &view_span);
                        Delivery::Full
                    }
                    Err(TrySendError::Closed(_)) => Delivery::Closed,
                }
            }),
        );
        if !self.subscriptions.iter().any(|t| t == topic) {
            self.subscriptions.push(topic.to_owned());
        }
    }

    /// Broadcasts `message` to every subscriber of `topic` but this view.
    pub fn broadcast_from<M>(&self, topic: &str, message: M)
    where
        M: Serialize + DeserializeOwned + Send + Sync + 'static,
    {
        self.pubsub.broadcast_from(self.id, topic, message);
    }

    /// The pubsub this view's server uses, to broadcast to everyone (this view included)
    /// or to hand to a task.
    pub fn pubsub(&self) -> SharedPubSub {
        self.pubsub.clone()
    }

    /// Tracks this view's presence on `topic` under `key`, until the view's process ends
    /// or [`untrack`](Self::untrack). Only once connected.
    pub fn track(&mut self, topic: &str, key: &str, meta: impl Serialize) {
        if self.connected {
            self.tracked.push(self.presence.track(topic, key, meta));
        }
    }

    /// Stops tracking `key` on `topic`.
    pub fn untrack(&mut self, topic: &str, key: &str) {
        self.tracked
            .retain(|t| t.topic() != topic || t.key() != key);
    }

    /// The presence registry, to [`list`](Presence::list) who is on a topic.
    pub fn presence(&self) -> &Presence {
        &self.presence
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

impl<V: LiveView> Drop for Socket<V> {
    fn drop(&mut self) {
        for topic in &self.subscriptions {
            self.pubsub.unsubscribe(topic, self.id);
        }
    }
}

/// Messages lost to a full mailbox since the view was last told, and on which topics.
#[derive(Debug, Default)]
pub(crate) struct Lag {
    missed: AtomicU64,
    topics: Mutex<BTreeSet<Arc<str>>>,
}

impl Lag {
    fn record(&self, topic: &Arc<str>, view_span: &tracing::Span) {
        metrics::pubsub_queue_full();
        if self.missed.fetch_add(1, Ordering::Relaxed) == 0 {
            tracing::warn!(
                parent: view_span,
                %topic,
                "a view's mailbox is full: pubsub messages are being dropped"
            );
        }
        if let Ok(mut topics) = self.topics.lock() {
            topics.insert(topic.clone());
        }
    }

    /// What was lost since the last call, if anything.
    pub(crate) fn take(&self) -> Option<Lagged> {
        let missed = self.missed.swap(0, Ordering::Relaxed);
        if missed == 0 {
            return None;
        }
        let topics = self
            .topics
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default();
        Some(Lagged {
            missed,
            topics: topics.iter().map(|t| t.to_string()).collect(),
        })
    }
}

/// Messages a view missed because its mailbox was full: how many, and on which topics.
/// Handed to [`LiveView::handle_lagged`](crate::LiveView::handle_lagged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lagged {
    /// How many messages were dropped.
    pub missed: u64,
    /// The topics they were broadcast on.
    pub topics: Vec<String>,
}
