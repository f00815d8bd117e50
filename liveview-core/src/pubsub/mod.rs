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
//!
//! Two backends: [`LocalPubSub`] within one process, and (feature `redis`) [`RedisPubSub`]
//! across nodes. [`LiveConfig::pubsub`](crate::LiveConfig::pubsub) chooses between them.

mod local;
mod message;
#[cfg(feature = "redis")]
mod redis;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::watch;

pub use local::LocalPubSub;
pub use message::Message;
#[cfg(feature = "redis")]
pub use redis::{RedisPubSub, RedisPubSubError};

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

/// A pubsub backend: topics to subscribers. [`LocalPubSub`] is the in-process one;
/// `RedisPubSub` (feature `redis`) carries messages between nodes.
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

    /// Offers `message` to this node's subscribers of `topic` only: for what each node
    /// works out for itself, such as the presence diffs it derives from its own registry.
    /// The default is [`publish`](Self::publish), right for a backend within one process.
    fn publish_local(&self, topic: &str, message: Message, from: Option<SubscriberId>) {
        self.publish(topic, message, from);
    }

    /// How many subscribers `topic` has on this node.
    fn subscriber_count(&self, topic: &str) -> usize;

    /// What the backend has delivered and lost.
    fn stats(&self) -> &PubSubStats;

    /// The backend's state for `/health`: `"local"`, or e.g. `"redis: connected"`.
    fn status(&self) -> String;

    /// For a backend that spans nodes: a counter that goes up each time it (re)joins the
    /// other nodes, so state kept in step over the pubsub (presence) can be resent and
    /// asked for again after an outage. `None` (the default) for a backend within one
    /// process, which is also how [`Presence`](crate::presence::Presence) knows it has no
    /// other nodes to replicate to.
    fn connections(&self) -> Option<watch::Receiver<u64>> {
        None
    }

    /// Waits until what was published before the call has left this node, or could not,
    /// or `timeout` has passed: a node stopping calls it so its goodbye is sent before the
    /// process exits. The default returns at once (nothing is queued).
    fn flush(&self, timeout: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let _ = timeout;
        Box::pin(std::future::ready(()))
    }
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
