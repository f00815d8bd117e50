//! Presence across nodes over the Redis pubsub, against a real redis-server: two
//! `Presence` registries on two backends in this process are two nodes. Needs
//! `redis-server` (Debian's package of that name).

use std::sync::Arc;
use std::time::Duration;

use liveview_core::presence::{Presence, PresenceDiff};
use liveview_core::pubsub::{Delivery, RedisPubSub, SharedPubSub, Subscriber, SubscriberId};
use liveview_tests::redis_server::RedisServer;
use liveview_tests::wait;
use tokio::sync::mpsc;

const ROOM: &str = "chat:lobby";

/// Long enough that only a clean stop or a resync can explain a change in a test.
const NEVER: Duration = Duration::from_secs(600);

struct Node {
    pubsub: SharedPubSub,
    presence: Presence,
}

/// A node on `url` whose presence drops silent nodes after `timeout`, connected.
async fn node(url: &str, timeout: Duration) -> Node {
    let pubsub: SharedPubSub = Arc::new(RedisPubSub::start(url).unwrap());
    let presence = Presence::with_timeout(pubsub.clone(), timeout);
    let node = Node { pubsub, presence };
    node.connected().await;
    node
}

impl Node {
    async fn connected(&self) {
        wait::until("the node connects to Redis", || {
            self.pubsub.status() == "redis: connected"
        })
        .await;
    }

    /// Who this node lists on the room.
    fn present(&self) -> Vec<String> {
        self.presence.list(ROOM).into_keys().collect()
    }

    /// Waits until this node lists exactly `keys` on the room.
    async fn lists(&self, keys: &[&str]) {
        wait::until(&format!("the node lists {keys:?}"), || {
            self.present() == keys
        })
        .await;
    }

    /// The presence diffs this node's views on the room get.
    fn diffs(&self) -> mpsc::Receiver<Arc<PresenceDiff>> {
        let (tx, rx) = mpsc::channel(64);
        self.pubsub.subscribe(
            ROOM,
            Subscriber::new(SubscriberId::next(), move |message| {
                match message.get_shared::<PresenceDiff>() {
                    Some(diff) => match tx.try_send(diff) {
                        Ok(()) => Delivery::Queued,
                        Err(_) => Delivery::Full,
                    },
                    None => Delivery::Skipped,
                }
            }),
        );
        rx
    }
}

/// Reads diffs until one has `key` among its leaves.
async fn leave_of(diffs: &mut mpsc::Receiver<Arc<PresenceDiff>>, key: &str) {
    tokio::time::timeout(wait::LIMIT, async {
        while let Some(diff) = diffs.recv().await {
            if diff.leaves.contains_key(key) {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no leave of {key} in time"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_lists_the_presences_of_both_nodes() {
    let redis = RedisServer::start();
    let (a, b) = (
        node(&redis.url(), NEVER).await,
        node(&redis.url(), NEVER).await,
    );
    let mut diffs_on_b = b.diffs();

    let _ada = a.presence.track(ROOM, "ada", serde_json::json!({"tab": 1}));
    let _bob = b.presence.track(ROOM, "bob", serde_json::json!({"tab": 1}));

    a.lists(&["ada", "bob"]).await;
    b.lists(&["ada", "bob"]).await;
    assert_eq!(
        b.presence.list(ROOM)["ada"],
        [serde_json::json!({"tab": 1})]
    );
    // b's views heard of ada's join from b's own registry.
    let mut joined = Vec::new();
    while joined.len() < 2 {
        let diff = tokio::time::timeout(wait::LIMIT, diffs_on_b.recv())
            .await
            .unwrap()
            .unwrap();
        joined.extend(diff.joins.keys().cloned());
    }
    joined.sort();
    assert_eq!(joined, ["ada", "bob"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leave_on_one_node_leaves_every_node_s_list() {
    let redis = RedisServer::start();
    let (a, b) = (
        node(&redis.url(), NEVER).await,
        node(&redis.url(), NEVER).await,
    );
    let ada = a.presence.track(ROOM, "ada", ());
    let _bob = b.presence.track(ROOM, "bob", ());
    b.lists(&["ada", "bob"]).await;
    let mut diffs_on_b = b.diffs();

    drop(ada);

    b.lists(&["bob"]).await;
    leave_of(&mut diffs_on_b, "ada").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_starts_later_gets_the_full_state() {
    let redis = RedisServer::start();
    let (a, c) = (
        node(&redis.url(), NEVER).await,
        node(&redis.url(), NEVER).await,
    );
    let _ada = a.presence.track(ROOM, "ada", ());
    let _amy = a.presence.track(ROOM, "amy", ());
    // Once c lists them, a's joins have gone by: b can only learn them from a's state.
    c.lists(&["ada", "amy"]).await;

    let b = node(&redis.url(), NEVER).await;

    b.lists(&["ada", "amy"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_drops_out_of_the_other_nodes_lists_after_the_timeout() {
    let redis = RedisServer::start();
    // Node a logs in as its own Redis user, so the test can cut it off as a kill would:
    // no goodbye, no leaves, no more heartbeats.
    let _: () = redis.query(
        redis::cmd("ACL").arg(&["SETUSER", "node-a", "on", ">secret-a", "~*", "&*", "+@all"][..]),
    );
    let timeout = Duration::from_millis(900);
    let a = node(&redis.url_as("node-a", "secret-a"), timeout).await;
    let b = node(&redis.url(), timeout).await;
    let _ada = a.presence.track(ROOM, "ada", ());
    let _bob = b.presence.track(ROOM, "bob", ());
    b.lists(&["ada", "bob"]).await;
    let mut diffs_on_b = b.diffs();

    let _: () = redis.query(redis::cmd("ACL").arg(&["SETUSER", "node-a", "off"][..]));
    let _: u64 = redis.query(redis::cmd("CLIENT").arg(&["KILL", "USER", "node-a"][..]));

    b.lists(&["bob"]).await;
    leave_of(&mut diffs_on_b, "ada").await;
    // a itself still lists ada: it is cut off, not stopped.
    assert!(a.present().contains(&"ada".to_string()));
    assert_eq!(a.pubsub.status(), "redis: reconnecting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_stops_cleanly_drops_out_at_once() {
    let redis = RedisServer::start();
    let (a, b) = (
        node(&redis.url(), NEVER).await,
        node(&redis.url(), NEVER).await,
    );
    // Still tracked when a stops: only the goodbye can take ada out of b's list.
    let _ada = a.presence.track(ROOM, "ada", ());
    let _bob = b.presence.track(ROOM, "bob", ());
    b.lists(&["ada", "bob"]).await;
    let mut diffs_on_b = b.diffs();

    a.presence.stop().await;

    b.lists(&["bob"]).await;
    leave_of(&mut diffs_on_b, "ada").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_redis_restarts_the_nodes_resync_what_changed_while_it_was_down() {
    let mut redis = RedisServer::start();
    let (a, b) = (
        node(&redis.url(), NEVER).await,
        node(&redis.url(), NEVER).await,
    );
    let _ada = a.presence.track(ROOM, "ada", ());
    let bob = b.presence.track(ROOM, "bob", ());
    a.lists(&["ada", "bob"]).await;
    b.lists(&["ada", "bob"]).await;

    redis.kill();
    wait::until("both nodes notice Redis is gone", || {
        a.pubsub.status() == "redis: reconnecting" && b.pubsub.status() == "redis: reconnecting"
    })
    .await;
    // Neither change can reach the other node now.
    let _carol = a.presence.track(ROOM, "carol", ());
    drop(bob);
    a.lists(&["ada", "bob", "carol"]).await;
    b.lists(&["ada"]).await;

    redis.restart();

    a.lists(&["ada", "carol"]).await;
    b.lists(&["ada", "carol"]).await;
}

#[tokio::test]
async fn with_the_local_pubsub_presence_stays_on_its_node() {
    let pubsub: SharedPubSub = Arc::new(liveview_core::pubsub::LocalPubSub::new());
    let presence = Presence::new(pubsub.clone());
    let _ada = presence.track(ROOM, "ada", ());

    assert!(pubsub.connections().is_none());
    // No replication subscriber: the only topic with subscribers would be the room's.
    assert_eq!(pubsub.subscriber_count("liveview:presence"), 0);
    presence.stop().await;
    assert_eq!(presence.list(ROOM).len(), 1);
}
