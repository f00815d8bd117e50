//! Presence across nodes: what nodes tell each other, and which nodes are alive.
//!
//! Replication runs over the [`PubSub`](crate::pubsub::PubSub) trait itself, on one topic
//! ([`TOPIC`]), so any backend that spans nodes carries it. Each node sends:
//!
//! - [`Body::Changes`]: its own joins and leaves, gathered for the same 50 ms as the diffs;
//! - [`Body::Heartbeat`] every third of the presence timeout;
//! - [`Body::State`]: everything it tracks, which replaces what the others held for it,
//!   after it (re)connects and whenever asked;
//! - [`Body::SyncRequest`]: "send me your state", after it (re)connects (to everyone) or on
//!   hearing from a node it has no state for (to that one);
//! - [`Body::Stopped`] when it stops cleanly: the others drop its presences at once.
//!
//! A node that nothing has been heard from for the timeout is dropped by each node on its
//! own ([`Peers::expired`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The topic replication travels on.
pub(super) const TOPIC: &str = "liveview:presence";

/// One replication message: which node sent it, and what it says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Envelope {
    pub(super) node: Arc<str>,
    pub(super) body: Body,
}

/// What a node tells the others.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Body {
    /// Its joins and leaves, in the order they happened.
    Changes { changes: Vec<Change> },
    /// It is alive.
    Heartbeat,
    /// Everything it tracks.
    State { entries: Vec<Tracked> },
    /// Asks `target` (every node when `None`) for its state.
    SyncRequest { target: Option<Arc<str>> },
    /// It stopped cleanly.
    Stopped,
}

/// A join or a leave on the sending node.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(super) enum Change {
    Join(Tracked),
    Leave {
        topic: String,
        key: String,
        reference: u64,
    },
}

/// One presence the sending node tracks: the node and `reference` name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Tracked {
    pub(super) topic: String,
    pub(super) key: String,
    pub(super) reference: u64,
    pub(super) meta: Value,
}

/// The other nodes this one has heard from, and when.
#[derive(Debug, Default)]
pub(super) struct Peers {
    peers: HashMap<Arc<str>, Peer>,
}

#[derive(Debug)]
struct Peer {
    last_heard: Instant,
    /// Its full state has arrived, so its presences here are complete.
    synced: bool,
}

impl Peers {
    /// Notes a message from `node`; true when its state has not arrived yet, so it should
    /// be asked for.
    pub(super) fn heard(&mut self, node: &Arc<str>) -> bool {
        let peer = self.peers.entry(node.clone()).or_insert(Peer {
            last_heard: Instant::now(),
            synced: false,
        });
        peer.last_heard = Instant::now();
        !peer.synced
    }

    /// Notes that `node`'s full state arrived.
    pub(super) fn synced(&mut self, node: &Arc<str>) {
        self.heard(node);
        if let Some(peer) = self.peers.get_mut(node) {
            peer.synced = true;
        }
    }

    /// Forgets `node` (it stopped).
    pub(super) fn forget(&mut self, node: &str) {
        self.peers.remove(node);
    }

    /// Forgets, and returns, the nodes not heard from for `timeout`.
    pub(super) fn expired(&mut self, timeout: Duration) -> Vec<Arc<str>> {
        let gone: Vec<Arc<str>> = self
            .peers
            .iter()
            .filter(|(_, peer)| peer.last_heard.elapsed() >= timeout)
            .map(|(node, _)| node.clone())
            .collect();
        for node in &gone {
            self.peers.remove(node);
        }
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_is_asked_for_its_state_until_it_has_sent_it() {
        let mut peers = Peers::default();
        let node: Arc<str> = "b".into();
        assert!(peers.heard(&node));
        assert!(peers.heard(&node));
        peers.synced(&node);
        assert!(!peers.heard(&node));
    }

    #[test]
    fn a_node_not_heard_from_for_the_timeout_expires_once() {
        let mut peers = Peers::default();
        let node: Arc<str> = "b".into();
        peers.heard(&node);
        assert_eq!(peers.expired(Duration::ZERO), vec![node]);
        assert!(peers.expired(Duration::ZERO).is_empty());
        assert!(peers.expired(Duration::from_secs(3600)).is_empty());
    }

    #[test]
    fn a_message_reads_back_as_it_was_sent() {
        let envelope = Envelope {
            node: "a".into(),
            body: Body::Changes {
                changes: vec![Change::Leave {
                    topic: "t".into(),
                    key: "k".into(),
                    reference: 7,
                }],
            },
        };
        let json = serde_json::to_string(&envelope).unwrap();
        assert_eq!(
            json,
            r#"{"node":"a","body":{"type":"changes","changes":[{"op":"leave","topic":"t","key":"k","reference":7}]}}"#
        );
        let back: Envelope = serde_json::from_str(&json).unwrap();
        assert!(matches!(back.body, Body::Changes { changes } if changes.len() == 1));
    }
}
