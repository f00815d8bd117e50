//! PubSub: messages on named topics, from anywhere to every view subscribed.
//!
//! A view subscribes through its [`Socket`](crate::Socket); messages arrive in its
//! `handle_info` as its own `Info` type. Anything holding a [`PubSub`] handle (a view, an
//! axum handler, a background task) can [`broadcast`](PubSub::broadcast). Messages are
//! serde types, so a backend that crosses processes can carry them; the local backend
//! hands each subscriber a clone without encoding anything.
//!
//! Delivery never waits: each subscriber has a bounded queue (the view's mailbox), and a
//! full queue is counted, logged and reported to the view (`handle_lagged`) instead of
//! blocking the sender or dropping silently.

mod local;
mod message;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use local::LocalPubSub;
pub use message::Message;

/// Identifies one subscriber (one view process), so `broadcast_from` can skip it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubscriberId(u64);

impl SubscriberId {
    /// A new id, unique in this process.
    pub fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        SubscriberId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// What a subscriber's queue did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Queued.
    Queued,
    /// Not for this subscriber (another message type on the same topic).
    Skipped,
    /// The queue was full: the message is lost to this subscriber, which is told.
    Full,
    /// The subscriber's process has ended; the backend forgets it.
    Closed,
}

/// One subscriber of a topic: its id, and how it takes a message.
pub struct Subscriber {
    id: SubscriberId,
    deliver: Box<dyn Fn(&Message) -> Delivery + Send + Sync>,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Subscriber {
    /// A subscriber that hands messages to `deliver`. `deliver` must not block: it runs on
    /// the broadcaster's task.
    pub fn new(
        id: SubscriberId,
        deliver: impl Fn(&Message) -> Delivery + Send + Sync + 'static,
    ) -> Self {
        Subscriber {
            id,
            deliver: Box::new(deliver),
        }
    }

    /// The subscriber's id.
    pub fn id(&self) -> SubscriberId {
        self.id
    }

    /// Offers it a message.
    pub fn deliver(&self, message: &Message) -> Delivery {
        (self.deliver)(message)
    }
}

/// Counts of what a backend has delivered and lost, for logs and metrics.
#[derive(Debug, Default)]
pub struct PubSubStats {
    /// Messages queued to subscribers.
    pub delivered: AtomicU64,
    /// Messages lost because a subscriber's queue was full.
    pub queue_full: AtomicU64,
    /// Messages a backend could not pass on (e.g. to another node).
    pub undeliverable: AtomicU64,
}

/// A pubsub backend: topics to subscribers. [`LocalPubSub`] is the in-process one.
///
/// Backends deal in type-erased [`Message`]s; the typed [`broadcast`](Self::broadcast)
/// family is on the handle `Arc<dyn PubSub>`.
pub trait PubSub: Send + Sync + 'static {
    /// Adds a subscriber to `topic`.
    fn subscribe(&self, topic: &str, subscriber: Subscriber);

    /// Removes subscriber `id` from `topic`.
    fn unsubscribe(&self, topic: &str, id: SubscriberId);

    /// Offers `message` to every subscriber of `topic` except `from`.
    fn publish(&self, topic: &str, message: Message, from: Option<SubscriberId>);

    /// How many subscribers `topic` has on this node.
    fn subscriber_count(&self, topic: &str) -> usize;

    /// What the backend has delivered and lost.
    fn stats(&self) -> &PubSubStats;

    /// The backend's state for `/health`: `"local"`, or e.g. `"redis: connected"`.
    fn status(&self) -> String;
}

impl dyn PubSub {
    /// Sends `message` to every subscriber of `topic` that listens for its type.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use liveview_core::pubsub::{LocalPubSub, PubSub};
    ///
    /// #[derive(Clone, serde::Serialize, serde::Deserialize)]
    /// struct Said { text: String }
    ///
    /// let pubsub: Arc<dyn PubSub> = Arc::new(LocalPubSub::new());
    /// pubsub.broadcast("chat:lobby", Said { text: "hi".into() });
    /// ```
    pub fn broadcast<M>(&self, topic: &str, message: M)
    where
        M: Serialize + DeserializeOwned + Send + Sync + 'static,
    {
        self.publish(topic, Message::new(message), None);
    }

    /// Like [`broadcast`](Self::broadcast), skipping subscriber `from` (the sender).
    pub fn broadcast_from<M>(&self, from: SubscriberId, topic: &str, message: M)
    where
        M: Serialize + DeserializeOwned + Send + Sync + 'static,
    {
        self.publish(topic, Message::new(message), Some(from));
    }
}

/// A shared pubsub handle, as views and handlers hold it.
pub type SharedPubSub = Arc<dyn PubSub>;
