//! The in-process backend: a `DashMap` of topics to subscribers.

use std::sync::atomic::Ordering;

use dashmap::DashMap;

use super::{Delivery, Message, PubSub, PubSubStats, Subscriber, SubscriberId};

/// PubSub within one process: topics in a sharded map, so broadcasts on different topics do
/// not contend; each subscriber's queue is its own.
///
/// ```
/// use std::sync::Arc;
/// use liveview_core::pubsub::{Delivery, LocalPubSub, PubSub, Subscriber, SubscriberId};
///
/// let pubsub: Arc<dyn PubSub> = Arc::new(LocalPubSub::new());
/// let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(8);
/// pubsub.subscribe("news", Subscriber::new(SubscriberId::next(), move |m| {
///     match m.get::<String>() {
///         Some(text) => match tx.try_send(text) {
///             Ok(()) => Delivery::Queued,
///             Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => Delivery::Full,
///             Err(_) => Delivery::Closed,
///         },
///         None => Delivery::Skipped,
///     }
/// }));
/// pubsub.broadcast("news", "hello".to_string());
/// assert_eq!(rx.try_recv().unwrap(), "hello");
/// ```
#[derive(Debug, Default)]
pub struct LocalPubSub {
    topics: DashMap<String, Vec<Subscriber>>,
    stats: PubSubStats,
}

impl LocalPubSub {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Offers `message` to this node's subscribers of `topic`; ended subscribers are
    /// removed. Backends that cross nodes call this for messages from elsewhere. Returns
    /// true when removing ended subscribers left the topic with none, so such a backend
    /// can stop listening for it.
    pub fn deliver_local(
        &self,
        topic: &str,
        message: &Message,
        from: Option<SubscriberId>,
    ) -> bool {
        let mut closed = Vec::new();
        if let Some(subscribers) = self.topics.get(topic) {
            for subscriber in subscribers.iter().filter(|s| Some(s.id()) != from) {
                match subscriber.deliver(message) {
                    Delivery::Queued => {
                        self.stats.delivered.fetch_add(1, Ordering::Relaxed);
                    }
                    Delivery::Skipped => {}
                    Delivery::Full => {
                        self.stats.queue_full.fetch_add(1, Ordering::Relaxed);
                    }
                    Delivery::Closed => closed.push(subscriber.id()),
                }
            }
        }
        let mut emptied = false;
        for id in closed {
            emptied |= self.remove(topic, id);
        }
        emptied
    }

    /// Removes subscriber `id` from `topic`; true when that left the topic with none.
    pub fn remove(&self, topic: &str, id: SubscriberId) -> bool {
        let emptied = match self.topics.get_mut(topic) {
            Some(mut subscribers) => {
                subscribers.retain(|s| s.id() != id);
                subscribers.is_empty()
            }
            None => false,
        };
        if emptied {
            self.topics.remove_if(topic, |_, s| s.is_empty());
        }
        emptied
    }

    /// Adds a subscriber to `topic`; true when it is the topic's first.
    pub fn add(&self, topic: &str, subscriber: Subscriber) -> bool {
        let mut subscribers = self.topics.entry(topic.to_owned()).or_default();
        subscribers.push(subscriber);
        subscribers.len() == 1
    }

    /// The topics that have subscribers on this node.
    pub fn topics(&self) -> Vec<String> {
        self.topics.iter().map(|t| t.key().clone()).collect()
    }
}

impl PubSub for LocalPubSub {
    fn subscribe(&self, topic: &str, subscriber: Subscriber) {
        self.add(topic, subscriber);
    }

    fn unsubscribe(&self, topic: &str, id: SubscriberId) {
        self.remove(topic, id);
    }

    fn publish(&self, topic: &str, message: Message, from: Option<SubscriberId>) {
        self.deliver_local(topic, &message, from);
    }

    fn subscriber_count(&self, topic: &str) -> usize {
        self.topics.get(topic).map_or(0, |s| s.len())
    }

    fn stats(&self) -> &PubSubStats {
        &self.stats
    }

    fn status(&self) -> String {
        "local".into()
    }
}
