//! Presence: who is on a topic right now, kept up to date in every view that cares.
//!
//! A view [`track`](crate::Socket::track)s itself under a key (a user name, an id) with some
//! metadata; the entry lives as long as the view's process, however that ends. Joins and
//! leaves are broadcast on the topic as a [`PresenceDiff`], so views subscribed to it can
//! update their "who's online" list without asking again; those within 50 ms of each other
//! travel as one diff, so a room that thousands join at once does not wake every view once
//! per join. There is no global lock, only one shard of a map per topic.
//!
//! Across nodes (a pubsub whose [`connections`](crate::pubsub::PubSub::connections) is
//! `Some`, such as Redis) every node lists the union of all nodes' presences: entries carry
//! the node they were tracked on and a ref unique on it, and nodes replicate their joins
//! and leaves, heartbeat, and resync over the pubsub ([`replication`] says how). A node not
//! heard from for the presence timeout drops out of every list, with leaves for the views
//! that show it; a node that [`stop`](Presence::stop)s drops out at once. With the local
//! pubsub none of that runs, and a track costs what it always did.

mod replication;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use dashmap::DashMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;

use crate::metrics;
use crate::pubsub::{Delivery, Message, SharedPubSub, Subscriber, SubscriberId};
use replication::{Body, Change, Envelope, Peers};

/// Joins and leaves on a topic since the last diff, by key: each key's metas.
///
/// Subscribe to it like any message: `socket.subscribe(topic, Info::Presence)`, with
/// `Info::Presence(Arc<PresenceDiff>)`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PresenceDiff {
    /// Keys with metas that arrived.
    pub joins: BTreeMap<String, Vec<Value>>,
    /// Keys with metas that left.
    pub leaves: BTreeMap<String, Vec<Value>>,
}

/// One tracked presence: where and by whom it was tracked, and its metadata.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    node: Arc<str>,
    reference: u64,
    meta: Value,
}

/// Keys on a topic, each with how many times it is tracked (tabs, nodes): shared by every
/// view that shows them.
pub type Roster = Arc<[(String, usize)]>;

/// Who is on one topic, and the last [`Presence::first`] answer until someone comes or goes.
#[derive(Default)]
struct Topic {
    keys: BTreeMap<String, Vec<Entry>>,
    first: Option<(usize, Roster)>,
}

/// A presence registry for one node. Cheap to clone.
#[derive(Clone)]
pub struct Presence {
    inner: Arc<Inner>,
}

struct Inner {
    node: Arc<str>,
    pubsub: SharedPubSub,
    /// topic -> key -> entries (a key can be present from several tabs or nodes).
    topics: DashMap<String, Topic>,
    next_ref: AtomicU64,
    /// Joins and leaves not yet broadcast, by topic.
    pending: DashMap<String, PresenceDiff>,
    /// Present when the pubsub spans nodes.
    replica: Option<Replica>,
}

/// This node's side of replication.
#[derive(Debug)]
struct Replica {
    timeout: Duration,
    peers: Mutex<Peers>,
    /// This node's changes not yet sent. Sends of changes and of the full state happen
    /// under this lock, so they leave in the order they were made.
    outbox: Mutex<Vec<Change>>,
    /// The replication subscriber's id, so this node's own messages skip it.
    subscriber: SubscriberId,
    stopped: AtomicBool,
}

/// How long joins and leaves gather before their diff is broadcast (and, across nodes,
/// before they are sent to the other nodes).
const BATCH: Duration = Duration::from_millis(50);

/// The presence timeout when none is given: a node not heard from for this long drops out.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// How long [`Presence::stop`] waits for its goodbye to leave the node.
const STOP_FLUSH: Duration = Duration::from_secs(2);

impl std::fmt::Debug for Presence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presence")
            .field("node", &self.inner.node)
            .finish_non_exhaustive()
    }
}

impl Presence {
    /// A registry for this node, broadcasting diffs through `pubsub`, with the
    /// [`DEFAULT_TIMEOUT`].
    pub fn new(pubsub: SharedPubSub) -> Self {
        Self::with_timeout(pubsub, DEFAULT_TIMEOUT)
    }

    /// A registry for this node; when `pubsub` spans nodes, other nodes not heard from for
    /// `timeout` drop out of its lists, and it heartbeats every third of `timeout`. A node
    /// that dies is therefore gone from every list between `timeout` and `timeout` plus a
    /// sixth of it (the sweep's period) after its last heartbeat.
    ///
    /// Replicating needs a tokio runtime (for the heartbeat); a pubsub that spans nodes
    /// has one already.
    pub fn with_timeout(pubsub: SharedPubSub, timeout: Duration) -> Self {
        let node = format!("{:016x}", rand::random::<u64>());
        let connections = pubsub.connections();
        let replica = connections.as_ref().map(|_| Replica {
            timeout,
            peers: Mutex::default(),
            outbox: Mutex::default(),
            subscriber: SubscriberId::next(),
            stopped: AtomicBool::new(false),
        });
        let presence = Presence {
            inner: Arc::new(Inner {
                node: node.into(),
                pubsub,
                topics: DashMap::new(),
                next_ref: AtomicU64::new(1),
                pending: DashMap::new(),
                replica,
            }),
        };
        if let Some(connections) = connections {
            presence.start_replication(connections);
        }
        presence
    }

    /// This node's id.
    pub fn node(&self) -> &str {
        &self.inner.node
    }

    /// Tracks `key` on `topic` with `meta` until the returned guard is dropped.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use liveview_core::presence::Presence;
    /// use liveview_core::pubsub::LocalPubSub;
    ///
    /// let presence = Presence::new(Arc::new(LocalPubSub::new()));
    /// let ada = presence.track("chat:lobby", "ada", serde_json::json!({"typing": false}));
    /// assert_eq!(presence.list("chat:lobby").keys().collect::<Vec<_>>(), ["ada"]);
    /// drop(ada);
    /// assert!(presence.list("chat:lobby").is_empty());
    /// ```
    pub fn track(&self, topic: &str, key: &str, meta: impl Serialize) -> Tracked {
        let meta = serde_json::to_value(meta).unwrap_or(Value::Null);
        let entry = Entry {
            node: self.inner.node.clone(),
            reference: self.inner.next_ref.fetch_add(1, Ordering::Relaxed),
            meta: meta.clone(),
        };
        let reference = entry.reference;
        metrics::presence_tracked();
        self.insert(topic, key, entry);
        self.replicate(|| {
            Change::Join(replication::Tracked {
                topic: topic.to_owned(),
                key: key.to_owned(),
                reference,
                meta,
            })
        });
        Tracked {
            presence: self.clone(),
            topic: topic.to_owned(),
            key: key.to_owned(),
            reference,
        }
    }

    /// Everyone present on `topic`: each key with its metas, oldest first.
    pub fn list(&self, topic: &str) -> BTreeMap<String, Vec<Value>> {
        self.inner
            .topics
            .get(topic)
            .map_or_else(BTreeMap::new, |topic| {
                topic
                    .keys
                    .iter()
                    .map(|(key, entries)| {
                        (
                            key.clone(),
                            entries.iter().map(|e| e.meta.clone()).collect(),
                        )
                    })
                    .collect()
            })
    }

    /// How many keys are present on `topic`.
    pub fn count(&self, topic: &str) -> usize {
        self.inner
            .topics
            .get(topic)
            .map_or(0, |topic| topic.keys.len())
    }

    /// The first `n` keys on `topic` in key order, each with how many times it is tracked:
    /// enough to show who is online in a big room. Every view asking between two changes
    /// gets the same shared list, not a copy of its own.
    pub fn first(&self, topic: &str, n: usize) -> Roster {
        let Some(mut topic) = self.inner.topics.get_mut(topic) else {
            return Arc::new([]);
        };
        if let Some((cached_n, list)) = &topic.first {
            if *cached_n == n {
                return list.clone();
            }
        }
        let list: Roster = topic
            .keys
            .iter()
            .take(n)
            .map(|(key, entries)| (key.clone(), entries.len()))
            .collect();
        topic.first = Some((n, list.clone()));
        list
    }

    /// Adds a join or leave to the topic's next diff, which goes out [`BATCH`] after the
    /// first change: a room where hundreds join within a moment gets one diff per subscriber
    /// for all of them, not one per join. Outside a tokio runtime it goes out at once.
    fn announce(&self, topic: &str, change: impl FnOnce(&mut PresenceDiff)) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            let mut diff = PresenceDiff::default();
            change(&mut diff);
            self.publish_diff(topic, diff);
            return;
        };
        let mut pending = self.inner.pending.entry(topic.to_owned()).or_default();
        let first = pending.joins.is_empty() && pending.leaves.is_empty();
        change(&mut pending);
        drop(pending);
        if first {
            let presence = self.clone();
            let topic = topic.to_owned();
            runtime.spawn(async move {
                tokio::time::sleep(BATCH).await;
                if let Some((_, diff)) = presence.inner.pending.remove(&topic) {
                    presence.publish_diff(&topic, diff);
                }
            });
        }
    }

    /// Hands this node's views a diff. Each node works out its own diffs from its own
    /// registry (other nodes' changes arrive through replication), so it goes to this
    /// node's subscribers only.
    fn publish_diff(&self, topic: &str, diff: PresenceDiff) {
        self.inner
            .pubsub
            .publish_local(topic, Message::new(diff), None);
    }

    /// Adds `entry` under `key` on `topic` and announces the join, unless an entry with
    /// its node and ref is there already (a change replayed after a full state).
    fn insert(&self, topic: &str, key: &str, entry: Entry) {
        let meta = entry.meta.clone();
        {
            let mut topic = self.inner.topics.entry(topic.to_owned()).or_default();
            let present = topic.keys.get(key).is_some_and(|entries| {
                entries
                    .iter()
                    .any(|e| e.node == entry.node && e.reference == entry.reference)
            });
            if present {
                return;
            }
            topic
                .change()
                .entry(key.to_owned())
                .or_default()
                .push(entry);
        }
        self.announce(topic, |diff| {
            diff.joins.entry(key.to_owned()).or_default().push(meta)
        });
    }

    /// Removes the entry of `node` and `reference` under `key` on `topic`, announcing the
    /// leave; true when there was one.
    fn remove(&self, topic: &str, key: &str, node: &str, reference: u64) -> bool {
        let mut left = None;
        let mut topic_empty = false;
        if let Some(mut topic) = self.inner.topics.get_mut(topic) {
            let keys = topic.change();
            if let Some(entries) = keys.get_mut(key) {
                if let Some(i) = entries
                    .iter()
                    .position(|e| e.reference == reference && *e.node == *node)
                {
                    left = Some(entries.remove(i).meta);
                }
                if entries.is_empty() {
                    keys.remove(key);
                }
            }
            topic_empty = keys.is_empty();
        }
        if topic_empty {
            self.inner
                .topics
                .remove_if(topic, |_, topic| topic.keys.is_empty());
        }
        let Some(meta) = left else {
            return false;
        };
        self.announce(topic, |diff| {
            diff.leaves.entry(key.to_owned()).or_default().push(meta)
        });
        true
    }

    fn untrack(&self, topic: &str, key: &str, reference: u64) {
        if self.remove(topic, key, &self.inner.node, reference) {
            metrics::presence_left();
            self.replicate(|| Change::Leave {
                topic: topic.to_owned(),
                key: key.to_owned(),
                reference,
            });
        }
    }

    /// Tells the other nodes this one is stopping, so they drop its presences at once,
    /// and waits (a bounded time) until the message has left. After it, this node sends
    /// nothing more and ignores what others send. [`Live::shutdown`](crate::Live::shutdown)
    /// calls it; with the local pubsub it does nothing.
    pub async fn stop(&self) {
        let Some(replica) = &self.inner.replica else {
            return;
        };
        if replica.stopped.swap(true, Ordering::AcqRel) {
            return;
        }
        self.send_changes();
        self.send(Body::Stopped);
        self.inner.pubsub.flush(STOP_FLUSH).await;
    }

    /// Subscribes to the replication topic and starts the heartbeat, the sweep of silent
    /// nodes and the resync after each (re)connection. Both hold the registry weakly, so
    /// they end with it.
    fn start_replication(&self, mut connections: watch::Receiver<u64>) {
        let Some(replica) = &self.inner.replica else {
            return;
        };
        let weak = Arc::downgrade(&self.inner);
        self.inner.pubsub.subscribe(
            replication::TOPIC,
            Subscriber::new(replica.subscriber, move |message| {
                let Some(presence) = upgrade(&weak) else {
                    return Delivery::Closed;
                };
                match message.get_shared::<Envelope>() {
                    Some(envelope) => {
                        presence.receive(&envelope);
                        Delivery::Queued
                    }
                    None => Delivery::Skipped,
                }
            }),
        );
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(
                "presence: no tokio runtime, so no heartbeat: other nodes will drop this one"
            );
            return;
        };
        let weak = Arc::downgrade(&self.inner);
        let sweep_every = replica.timeout / 6;
        runtime.spawn(async move {
            let mut sweep = tokio::time::interval(sweep_every);
            sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut ticks: u64 = 0;
            if *connections.borrow_and_update() > 0 {
                let Some(presence) = upgrade(&weak) else {
                    return;
                };
                presence.resync();
            }
            loop {
                tokio::select! {
                    _ = sweep.tick() => {
                        let Some(presence) = upgrade(&weak) else { return };
                        if presence.stopped() {
                            return;
                        }
                        if ticks.is_multiple_of(2) {
                            presence.send(Body::Heartbeat);
                        }
                        ticks += 1;
                        presence.drop_silent_nodes();
                    }
                    changed = connections.changed() => {
                        let Some(presence) = upgrade(&weak) else { return };
                        if changed.is_err() || presence.stopped() {
                            return;
                        }
                        presence.resync();
                    }
                }
            }
        });
    }

    fn stopped(&self) -> bool {
        self.inner
            .replica
            .as_ref()
            .is_none_or(|r| r.stopped.load(Ordering::Acquire))
    }

    /// Sends `body` to the other nodes (not to this node's own replication subscriber).
    fn send(&self, body: Body) {
        let Some(replica) = &self.inner.replica else {
            return;
        };
        let envelope = Envelope {
            node: self.inner.node.clone(),
            body,
        };
        self.inner
            .pubsub
            .broadcast_from(replica.subscriber, replication::TOPIC, envelope);
    }

    /// Queues a change of this node's for the other nodes; the changes of the next
    /// [`BATCH`] leave together.
    fn replicate(&self, change: impl FnOnce() -> Change) {
        let Some(replica) = &self.inner.replica else {
            return;
        };
        if replica.stopped.load(Ordering::Acquire) {
            return;
        }
        let first = {
            let Ok(mut outbox) = replica.outbox.lock() else {
                return;
            };
            outbox.push(change());
            outbox.len() == 1
        };
        if first {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    let presence = self.clone();
                    runtime.spawn(async move {
                        tokio::time::sleep(BATCH).await;
                        presence.send_changes();
                    });
                }
                Err(_) => self.send_changes(),
            }
        }
    }

    /// Sends the changes waiting in the outbox.
    fn send_changes(&self) {
        let Some(replica) = &self.inner.replica else {
            return;
        };
        if let Ok(mut outbox) = replica.outbox.lock() {
            self.send_waiting(&mut outbox);
        }
    }

    /// Sends the changes in `outbox` (held locked by the caller) and empties it.
    fn send_waiting(&self, outbox: &mut Vec<Change>) {
        if !outbox.is_empty() {
            let changes = std::mem::take(outbox);
            self.send(Body::Changes { changes });
        }
    }

    /// Sends everything this node tracks. Waiting changes go first, and both go under the
    /// outbox lock, so no change made before the snapshot can arrive after it.
    fn send_state(&self) {
        let Some(replica) = &self.inner.replica else {
            return;
        };
        let Ok(mut outbox) = replica.outbox.lock() else {
            return;
        };
        self.send_waiting(&mut outbox);
        let entries = self.entries_of(&self.inner.node);
        self.send(Body::State { entries });
    }

    /// After (re)connecting: this node's state to everyone, and everyone's to it.
    fn resync(&self) {
        self.send_state();
        self.send(Body::SyncRequest { target: None });
    }

    /// Every entry `node` has here.
    fn entries_of(&self, node: &str) -> Vec<replication::Tracked> {
        let mut entries = Vec::new();
        for topic in self.inner.topics.iter() {
            for (key, tracked) in &topic.keys {
                for entry in tracked.iter().filter(|e| *e.node == *node) {
                    entries.push(replication::Tracked {
                        topic: topic.key().clone(),
                        key: key.clone(),
                        reference: entry.reference,
                        meta: entry.meta.clone(),
                    });
                }
            }
        }
        entries
    }

    /// Applies a message from another node. It runs on the pubsub's delivering task, so
    /// answers that publish are spawned rather than sent from inside the delivery.
    fn receive(&self, envelope: &Envelope) {
        let Some(replica) = &self.inner.replica else {
            return;
        };
        if envelope.node == self.inner.node || replica.stopped.load(Ordering::Acquire) {
            return;
        }
        let node = &envelope.node;
        let Ok(mut peers) = replica.peers.lock() else {
            return;
        };
        match &envelope.body {
            Body::Changes { changes } => {
                peers.heard(node);
                drop(peers);
                for change in changes {
                    self.apply(node, change);
                }
            }
            Body::Heartbeat => {
                if peers.heard(node) {
                    let target = Some(node.clone());
                    self.spawn_answer(move |presence| presence.send(Body::SyncRequest { target }));
                }
            }
            Body::State { entries } => {
                peers.synced(node);
                drop(peers);
                self.replace_node(node, entries);
            }
            Body::SyncRequest { target } => {
                peers.heard(node);
                if target.as_ref().is_none_or(|t| *t == self.inner.node) {
                    self.spawn_answer(Presence::send_state);
                }
            }
            Body::Stopped => {
                peers.forget(node);
                drop(peers);
                self.drop_node(node);
            }
        }
    }

    fn spawn_answer(&self, answer: impl FnOnce(&Presence) + Send + 'static) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let presence = self.clone();
            runtime.spawn(async move { answer(&presence) });
        }
    }

    fn apply(&self, node: &Arc<str>, change: &Change) {
        match change {
            Change::Join(tracked) => self.insert(
                &tracked.topic,
                &tracked.key,
                Entry {
                    node: node.clone(),
                    reference: tracked.reference,
                    meta: tracked.meta.clone(),
                },
            ),
            Change::Leave {
                topic,
                key,
                reference,
            } => {
                self.remove(topic, key, node, *reference);
            }
        }
    }

    /// Makes `node`'s entries here exactly `entries`: leaves for those gone, joins for
    /// those new.
    fn replace_node(&self, node: &Arc<str>, entries: &[replication::Tracked]) {
        let wanted: HashSet<(&str, &str, u64)> = entries
            .iter()
            .map(|e| (e.topic.as_str(), e.key.as_str(), e.reference))
            .collect();
        for held in self.entries_of(node) {
            if !wanted.contains(&(held.topic.as_str(), held.key.as_str(), held.reference)) {
                self.remove(&held.topic, &held.key, node, held.reference);
            }
        }
        for tracked in entries {
            self.apply(node, &Change::Join(tracked.clone()));
        }
    }

    /// Drops every entry of `node` (stopped, or silent for the timeout).
    fn drop_node(&self, node: &Arc<str>) {
        for held in self.entries_of(node) {
            self.remove(&held.topic, &held.key, node, held.reference);
        }
    }

    fn drop_silent_nodes(&self) {
        let Some(replica) = &self.inner.replica else {
            return;
        };
        let expired = match replica.peers.lock() {
            Ok(mut peers) => peers.expired(replica.timeout),
            Err(_) => return,
        };
        for node in expired {
            tracing::warn!(%node, "presence: a node was not heard from within the timeout; dropping its presences");
            self.drop_node(&node);
        }
    }
}

fn upgrade(inner: &Weak<Inner>) -> Option<Presence> {
    inner.upgrade().map(|inner| Presence { inner })
}

impl Topic {
    /// The keys, to change: the cached list no longer holds.
    fn change(&mut self) -> &mut BTreeMap<String, Vec<Entry>> {
        self.first = None;
        &mut self.keys
    }
}

/// A tracked presence; dropping it (or the view's process ending) untracks it.
#[derive(Debug)]
pub struct Tracked {
    presence: Presence,
    topic: String,
    key: String,
    reference: u64,
}

impl Tracked {
    /// The topic it is tracked on.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The key it is tracked under.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.presence
            .untrack(&self.topic, &self.key, self.reference);
    }
}
