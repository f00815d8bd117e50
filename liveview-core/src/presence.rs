//! Presence: who is on a topic right now, kept up to date in every view that cares.
//!
//! A view [`track`](crate::Socket::track)s itself under a key (a user name, an id) with some
//! metadata; the entry lives as long as the view's process, however that ends. Joins and
//! leaves are broadcast on the topic as a [`PresenceDiff`], so views subscribed to it can
//! update their "who's online" list without asking again; those within 50 ms of each other
//! travel as one diff, so a room that thousands join at once does not wake every view once
//! per join. Entries carry the node they were
//! tracked on and a unique ref, so a backend that spans nodes can merge and expire them per
//! node; there is no global lock, only one shard of a map per topic.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::metrics;
use crate::pubsub::SharedPubSub;

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
}

/// How long joins and leaves gather before their diff is broadcast.
const BATCH: Duration = Duration::from_millis(50);

impl std::fmt::Debug for Presence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presence")
            .field("node", &self.inner.node)
            .finish_non_exhaustive()
    }
}

impl Presence {
    /// A registry for this node, broadcasting diffs through `pubsub`.
    pub fn new(pubsub: SharedPubSub) -> Self {
        let node = format!("{:016x}", rand::random::<u64>());
        Presence {
            inner: Arc::new(Inner {
                node: node.into(),
                pubsub,
                topics: DashMap::new(),
                next_ref: AtomicU64::new(1),
                pending: DashMap::new(),
            }),
        }
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
        self.inner
            .topics
            .entry(topic.to_owned())
            .or_default()
            .change()
            .entry(key.to_owned())
            .or_default()
            .push(entry);
        self.announce(topic, |diff| {
            diff.joins.entry(key.to_owned()).or_default().push(meta)
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
            self.inner.pubsub.broadcast(topic, diff);
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
                    presence.inner.pubsub.broadcast(&topic, diff);
                }
            });
        }
    }

    fn untrack(&self, topic: &str, key: &str, reference: u64) {
        let mut left = None;
        let mut topic_empty = false;
        if let Some(mut topic) = self.inner.topics.get_mut(topic) {
            let keys = topic.change();
            if let Some(entries) = keys.get_mut(key) {
                if let Some(i) = entries.iter().position(|e| e.reference == reference) {
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
        if let Some(meta) = left {
            metrics::presence_left();
            self.announce(topic, |diff| {
                diff.leaves.entry(key.to_owned()).or_default().push(meta)
            });
        }
    }
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
