//! The Redis backend: PubSub across nodes, each node fanning out to its own views.
//!
//! Built on the `redis` crate (redis-rs), the Redis project's reference Rust client: its
//! tokio connections pipeline commands, and its split pubsub connection lets one task
//! subscribe and read messages at once, which is all this needs. Reconnecting is done
//! here rather than by its `ConnectionManager`, because this backend must also resubscribe
//! its topics, report its state and tell presence when to resync.
//!
//! A view's process never waits on Redis: [`publish`](PubSub::publish) delivers to this
//! node's subscribers at once (no round trip), then queues the message for the background
//! [`link`] task without waiting; a full queue or a Redis that is down counts the message
//! as undeliverable. See `docs/architecture.md` for the whole design.

mod link;
mod wire;

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch, Notify};

use super::{LocalPubSub, Message, PubSub, PubSubStats, Subscriber, SubscriberId};

/// How many messages may wait for the background writer before new ones are dropped (and
/// counted). At 1 KiB a message that is 4 MiB at most.
const QUEUE_CAPACITY: usize = 4096;

/// PubSub across nodes through Redis.
///
/// Each node subscribes to a topic's Redis channel while it has subscribers for it, fans
/// incoming messages out to them, and skips its own messages when Redis echoes them back
/// (its own subscribers got them at once). When Redis goes away the node keeps serving its
/// own views, counts what it could not send, reconnects with backoff and resubscribes;
/// [`status`](PubSub::status) says which (`redis: connected`, `redis: reconnecting`).
///
/// ```no_run
/// # async fn run() -> Result<(), liveview_core::pubsub::RedisPubSubError> {
/// use std::sync::Arc;
/// use liveview_core::pubsub::{PubSub, RedisPubSub};
///
/// let pubsub: Arc<dyn PubSub> = Arc::new(RedisPubSub::start("redis://127.0.0.1:6379")?);
/// pubsub.broadcast("chat:lobby", "hello".to_string());
/// # Ok(())
/// # }
/// ```
pub struct RedisPubSub {
    shared: Arc<Shared>,
    outgoing: mpsc::Sender<Outgoing>,
    link: tokio::task::AbortHandle,
}

/// What the caller's side and the link task share.
#[derive(Debug)]
struct Shared {
    /// This node's id on the wire.
    node: String,
    /// This node's subscribers, by topic; incoming messages are delivered through it.
    local: LocalPubSub,
    /// A [`LinkState`] as a byte.
    state: AtomicU8,
    /// Counts (re)connections; presence waits on it to resync.
    connections: watch::Sender<u64>,
    /// Topics whose first subscriber came or last one left since the link last looked.
    changed_topics: Mutex<HashSet<String>>,
    /// Wakes the link when `changed_topics` gets one.
    topics_changed: Notify,
    losses: Losses,
}

/// Where the link to Redis stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum LinkState {
    /// Not connected yet since the start.
    Connecting = 0,
    Connected = 1,
    /// Lost, trying again.
    Reconnecting = 2,
}

/// What the caller's side hands the link.
#[derive(Debug)]
enum Outgoing {
    /// Publish `message` on `topic`'s channel.
    Publish { topic: String, message: Message },
    /// Answer once everything queued before has been sent (or lost).
    Flush(oneshot::Sender<()>),
}

/// A Redis URL that was not usable, or no tokio runtime to run the link on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisPubSubError(String);

impl std::fmt::Display for RedisPubSubError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedisPubSubError {}

impl RedisPubSub {
    /// Checks that `url` is a Redis URL (`redis://HOST:PORT`, with an optional
    /// `user:password@` and `/DB`) without connecting: for settings checked at startup.
    pub fn check_url(url: &str) -> Result<(), RedisPubSubError> {
        client(url).map(|_| ())
    }

    /// Starts the backend for the Redis at `url`. The connection is made in the
    /// background: this returns at once, with [`status`](PubSub::status)
    /// `redis: connecting` until it is up (messages published before then reach this
    /// node's views only). Must be called within a tokio runtime.
    pub fn start(url: &str) -> Result<Self, RedisPubSubError> {
        let client = client(url)?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            RedisPubSubError("the Redis pubsub must be started within a tokio runtime".into())
        })?;
        let shared = Arc::new(Shared {
            node: format!("{:016x}", rand::random::<u64>()),
            local: LocalPubSub::new(),
            state: AtomicU8::new(LinkState::Connecting as u8),
            connections: watch::Sender::new(0),
            changed_topics: Mutex::default(),
            topics_changed: Notify::new(),
            losses: Losses::default(),
        });
        let (outgoing, queue) = mpsc::channel(QUEUE_CAPACITY);
        let link = runtime
            .spawn(link::run(shared.clone(), client, queue))
            .abort_handle();
        Ok(RedisPubSub {
            shared,
            outgoing,
            link,
        })
    }

    /// This node's id, as it appears on the wire.
    pub fn node(&self) -> &str {
        &self.shared.node
    }
}

fn client(url: &str) -> Result<::redis::Client, RedisPubSubError> {
    ::redis::Client::open(url).map_err(|error| {
        RedisPubSubError(format!(
            "not a usable Redis URL (expected redis://HOST:PORT): {error}"
        ))
    })
}

impl Shared {
    fn state(&self) -> LinkState {
        match self.state.load(Ordering::Acquire) {
            0 => LinkState::Connecting,
            1 => LinkState::Connected,
            _ => LinkState::Reconnecting,
        }
    }

    fn set_state(&self, state: LinkState) {
        self.state.store(state as u8, Ordering::Release);
    }

    /// Notes that `topic` gained its first or lost its last subscriber, for the link to
    /// subscribe or unsubscribe its channel.
    fn topic_changed(&self, topic: &str) {
        if let Ok(mut topics) = self.changed_topics.lock() {
            topics.insert(topic.to_owned());
        }
        self.topics_changed.notify_one();
    }

    /// Takes the topics noted since the last call.
    fn take_changed_topics(&self) -> HashSet<String> {
        self.changed_topics
            .lock()
            .map(|mut topics| std::mem::take(&mut *topics))
            .unwrap_or_default()
    }

    /// Counts `count` messages that could not reach the other nodes.
    fn lost(&self, count: u64, why: &str) {
        PubSub::stats(&self.local)
            .undeliverable
            .fetch_add(count, Ordering::Relaxed);
        self.losses.record(count, why);
    }
}

/// Logs lost messages at most once per [`Losses::EVERY`], with how many since the last
/// line: an outage under heavy traffic is a few lines, not one per message.
#[derive(Debug, Default)]
struct Losses {
    unlogged: AtomicU64,
    last_logged: Mutex<Option<Instant>>,
}

impl Losses {
    const EVERY: Duration = Duration::from_secs(10);

    fn record(&self, count: u64, why: &str) {
        self.unlogged.fetch_add(count, Ordering::Relaxed);
        let Ok(mut last) = self.last_logged.try_lock() else {
            return;
        };
        if last.is_some_and(|at| at.elapsed() < Self::EVERY) {
            return;
        }
        *last = Some(Instant::now());
        let lost = self.unlogged.swap(0, Ordering::Relaxed);
        tracing::warn!(
            lost,
            "pubsub messages could not be sent to the other nodes: {why} \
             (this node's own views still get them; logged at most every {} s)",
            Self::EVERY.as_secs()
        );
    }
}

impl PubSub for RedisPubSub {
    fn subscribe(&self, topic: &str, subscriber: Subscriber) {
        if self.shared.local.add(topic, subscriber) {
            self.shared.topic_changed(topic);
        }
    }

    fn unsubscribe(&self, topic: &str, id: SubscriberId) {
        if self.shared.local.remove(topic, id) {
            self.shared.topic_changed(topic);
        }
    }

    fn publish(&self, topic: &str, message: Message, from: Option<SubscriberId>) {
        if self.shared.local.deliver_local(topic, &message, from) {
            self.shared.topic_changed(topic);
        }
        match self.shared.state() {
            LinkState::Connected => {}
            LinkState::Connecting => return self.shared.lost(1, "not connected to Redis yet"),
            LinkState::Reconnecting => return self.shared.lost(1, "Redis is unreachable"),
        }
        let outgoing = Outgoing::Publish {
            topic: topic.to_owned(),
            message,
        };
        if let Err(error) = self.outgoing.try_send(outgoing) {
            let why = match error {
                mpsc::error::TrySendError::Full(_) => "the queue to Redis is full",
                mpsc::error::TrySendError::Closed(_) => "the Redis link has stopped",
            };
            self.shared.lost(1, why);
        }
    }

    fn publish_local(&self, topic: &str, message: Message, from: Option<SubscriberId>) {
        if self.shared.local.deliver_local(topic, &message, from) {
            self.shared.topic_changed(topic);
        }
    }

    fn subscriber_count(&self, topic: &str) -> usize {
        self.shared.local.subscriber_count(topic)
    }

    fn stats(&self) -> &PubSubStats {
        PubSub::stats(&self.shared.local)
    }

    fn status(&self) -> String {
        match self.shared.state() {
            LinkState::Connecting => "redis: connecting",
            LinkState::Connected => "redis: connected",
            LinkState::Reconnecting => "redis: reconnecting",
        }
        .into()
    }

    fn connections(&self) -> Option<watch::Receiver<u64>> {
        Some(self.shared.connections.subscribe())
    }

    fn flush(&self, timeout: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let (done, sent) = oneshot::channel();
            let _ = tokio::time::timeout(timeout, async {
                if self.outgoing.send(Outgoing::Flush(done)).await.is_ok() {
                    let _ = sent.await;
                }
            })
            .await;
        })
    }
}

impl Drop for RedisPubSub {
    fn drop(&mut self) {
        self.link.abort();
    }
}

impl std::fmt::Debug for RedisPubSub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPubSub")
            .field("node", &self.shared.node)
            .field("state", &self.shared.state())
            .finish_non_exhaustive()
    }
}
