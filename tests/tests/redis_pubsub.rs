//! The Redis pubsub backend against a real redis-server: two backends in this process are
//! two nodes. Needs `redis-server` (Debian's package of that name).

use std::sync::Arc;

use liveview_core::pubsub::{Delivery, RedisPubSub, SharedPubSub, Subscriber, SubscriberId};
use liveview_tests::redis_server::RedisServer;
use liveview_tests::wait;
use tokio::sync::mpsc;

/// A node on `redis`, connected.
async fn node(redis: &RedisServer) -> SharedPubSub {
    let pubsub: SharedPubSub = Arc::new(RedisPubSub::start(&redis.url()).unwrap());
    connected(&pubsub).await;
    pubsub
}

async fn connected(pubsub: &SharedPubSub) {
    wait::until("the node connects to Redis", || {
        pubsub.status() == "redis: connected"
    })
    .await;
}

/// A subscriber of `topic` on `pubsub` that takes strings; dropping the receiver ends it.
fn subscribe(pubsub: &SharedPubSub, topic: &str) -> (SubscriberId, mpsc::Receiver<String>) {
    let (tx, rx) = mpsc::channel(16);
    let id = SubscriberId::next();
    pubsub.subscribe(
        topic,
        Subscriber::new(id, move |message| match message.get::<String>() {
            Some(text) => match tx.try_send(text) {
                Ok(()) => Delivery::Queued,
                Err(mpsc::error::TrySendError::Full(_)) => Delivery::Full,
                Err(mpsc::error::TrySendError::Closed(_)) => Delivery::Closed,
            },
            None => Delivery::Skipped,
        }),
    );
    (id, rx)
}

/// How many nodes Redis has subscribed to `topic`'s channel.
fn redis_subscribers(redis: &RedisServer, topic: &str) -> u64 {
    let counts: Vec<(String, u64)> = redis.query(
        redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(format!("liveview:{topic}")),
    );
    counts[0].1
}

async fn next(rx: &mut mpsc::Receiver<String>) -> String {
    tokio::time::timeout(wait::LIMIT, rx.recv())
        .await
        .expect("a message in time")
        .expect("the subscription is open")
}

fn undeliverable(pubsub: &SharedPubSub) -> u64 {
    pubsub
        .stats()
        .undeliverable
        .load(std::sync::atomic::Ordering::Relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_published_on_node_a_reaches_a_subscriber_on_node_b() {
    let redis = RedisServer::start();
    let (a, b) = (node(&redis).await, node(&redis).await);
    let (_, mut on_b) = subscribe(&b, "chat:lobby");
    wait::until("node b subscribes on Redis", || {
        redis_subscribers(&redis, "chat:lobby") == 1
    })
    .await;

    a.broadcast("chat:lobby", "hello from a".to_string());

    assert_eq!(next(&mut on_b).await, "hello from a");
    assert_eq!(b.status(), "redis: connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sender_s_node_gets_its_own_message_at_once_and_only_once() {
    let redis = RedisServer::start();
    let (a, b) = (node(&redis).await, node(&redis).await);
    let (_, mut on_a) = subscribe(&a, "room");
    let (_, mut on_b) = subscribe(&b, "room");
    wait::until("both nodes subscribe on Redis", || {
        redis_subscribers(&redis, "room") == 2
    })
    .await;

    a.broadcast("room", "one".to_string());
    // Delivered on the sender's node before anything went to Redis.
    assert_eq!(on_a.try_recv().unwrap(), "one");
    assert_eq!(next(&mut on_b).await, "one");
    b.broadcast("room", "two".to_string());

    // Redis wrote a's echo of "one" to a before it took b's "two": had a not skipped the
    // echo, "one" would come first.
    assert_eq!(next(&mut on_a).await, "two");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_unsubscribes_from_redis_when_its_last_local_subscriber_leaves() {
    let redis = RedisServer::start();
    let (a, b) = (node(&redis).await, node(&redis).await);
    let (first, _first_rx) = subscribe(&a, "room");
    let (second, mut second_rx) = subscribe(&a, "room");
    wait::until("node a subscribes on Redis", || {
        redis_subscribers(&redis, "room") == 1
    })
    .await;

    a.unsubscribe("room", first);
    // Still subscribed: a message from b reaches the remaining subscriber.
    b.broadcast("room", "still here".to_string());
    assert_eq!(next(&mut second_rx).await, "still here");
    assert_eq!(redis_subscribers(&redis, "room"), 1);

    a.unsubscribe("room", second);
    wait::until("node a unsubscribes on Redis", || {
        redis_subscribers(&redis, "room") == 0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_unsubscribes_from_redis_when_its_last_subscriber_s_process_has_ended() {
    let redis = RedisServer::start();
    let a = node(&redis).await;
    let (_, rx) = subscribe(&a, "room");
    wait::until("node a subscribes on Redis", || {
        redis_subscribers(&redis, "room") == 1
    })
    .await;

    drop(rx);
    // The next delivery finds the subscriber gone, and removes it.
    a.broadcast("room", "anyone?".to_string());

    assert_eq!(a.subscriber_count("room"), 0);
    wait::until("node a unsubscribes on Redis", || {
        redis_subscribers(&redis, "room") == 0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_redis_restarts_the_nodes_reconnect_resubscribe_and_deliver_both_ways() {
    let mut redis = RedisServer::start();
    let (a, b) = (node(&redis).await, node(&redis).await);
    let (_, mut on_a) = subscribe(&a, "room");
    let (_, mut on_b) = subscribe(&b, "room");
    wait::until("both nodes subscribe on Redis", || {
        redis_subscribers(&redis, "room") == 2
    })
    .await;

    redis.kill();
    wait::until("both nodes notice Redis is gone", || {
        a.status() == "redis: reconnecting" && b.status() == "redis: reconnecting"
    })
    .await;
    let lost_before = undeliverable(&a);
    a.broadcast("room", "while down".to_string());
    // a's own views are still served; the other node's message is counted as lost.
    assert_eq!(on_a.try_recv().unwrap(), "while down");
    assert_eq!(undeliverable(&a), lost_before + 1);

    redis.restart();
    connected(&a).await;
    connected(&b).await;
    wait::until("both nodes resubscribe", || {
        redis_subscribers(&redis, "room") == 2
    })
    .await;
    a.broadcast("room", "from a".to_string());
    b.broadcast("room", "from b".to_string());

    for on in [&mut on_a, &mut on_b] {
        let mut got = [next(on).await, next(on).await];
        got.sort();
        assert_eq!(got, ["from a", "from b"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_started_while_redis_is_down_serves_locally_and_connects_when_it_comes_up() {
    let mut redis = RedisServer::start();
    redis.kill();
    let a: SharedPubSub = Arc::new(RedisPubSub::start(&redis.url()).unwrap());
    let (_, mut on_a) = subscribe(&a, "room");

    assert_eq!(a.status(), "redis: connecting");
    a.broadcast("room", "local only".to_string());
    assert_eq!(on_a.try_recv().unwrap(), "local only");
    assert_eq!(undeliverable(&a), 1);

    redis.restart();
    connected(&a).await;
    let b = node(&redis).await;
    wait::until("node a subscribes on Redis", || {
        redis_subscribers(&redis, "room") == 1
    })
    .await;
    b.broadcast("room", "hello a".to_string());
    assert_eq!(next(&mut on_a).await, "hello a");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_another_program_publishes_on_a_liveview_channel_is_refused_and_counted() {
    let redis = RedisServer::start();
    let a = node(&redis).await;
    let (_, mut on_a) = subscribe(&a, "room");
    wait::until("node a subscribes on Redis", || {
        redis_subscribers(&redis, "room") == 1
    })
    .await;

    let _: u64 = redis.query(redis::cmd("PUBLISH").arg("liveview:room").arg("not ours"));
    wait::until("the foreign message is counted", || undeliverable(&a) == 1).await;

    let b = node(&redis).await;
    b.broadcast("room", "ours".to_string());
    assert_eq!(next(&mut on_a).await, "ours");
}

#[test]
fn a_bad_redis_url_is_refused_before_anything_starts() {
    let error = RedisPubSub::check_url("localhost:6379").unwrap_err();
    assert!(error.to_string().contains("redis://HOST:PORT"), "{error}");
    assert!(RedisPubSub::check_url("redis://127.0.0.1:1").is_ok());
}

/// The writer sends bursts in pipelined batches; none is lost or reordered by that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_messages_arrives_complete_and_in_order() {
    let redis = RedisServer::start();
    let (a, b) = (node(&redis).await, node(&redis).await);
    let (tx, mut rx) = mpsc::channel(2000);
    b.subscribe(
        "burst",
        Subscriber::new(SubscriberId::next(), move |message| {
            match message.get::<u32>().map(|n| tx.try_send(n)) {
                Some(Ok(())) => Delivery::Queued,
                Some(Err(_)) => Delivery::Full,
                None => Delivery::Skipped,
            }
        }),
    );
    wait::until("node b subscribes on Redis", || {
        redis_subscribers(&redis, "burst") == 1
    })
    .await;

    // Fewer than the queue holds (4096), so none may be lost.
    for n in 0..1000u32 {
        a.broadcast("burst", n);
    }

    for n in 0..1000u32 {
        let got = tokio::time::timeout(wait::LIMIT, rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, n);
    }
    assert_eq!(undeliverable(&a), 0);
}
