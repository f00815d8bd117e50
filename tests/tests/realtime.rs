//! Streams, pubsub and presence through real view processes: the harness joins views over
//! websockets and applies what the server sends, stream containers merged as the browser
//! merges them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use liveview_core::maud::{html, Markup};
use liveview_core::presence::PresenceDiff;
use liveview_core::pubsub::{LocalPubSub, PubSub};
use liveview_core::stream::{At, Limit, Stream};
use liveview_core::testing::{live, LiveViewTest};
use liveview_core::{
    Lagged, Live, LiveConfig, LiveEvent, LiveView, Params, Result, Session, Socket,
};
use serde::{Deserialize, Serialize};

const TOPIC: &str = "room";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Said {
    id: u64,
    text: String,
}

/// A room: a stream of what was said, who is here, and how often it fell behind.
struct Room {
    said: Stream<Said>,
    here: Vec<String>,
    lagged: u64,
    infos: u64,
}

#[derive(LiveEvent)]
enum RoomEvent {
    Say { id: u64, text: String },
    Shout { id: u64, text: String },
    First { id: u64, text: String },
    Forget { id: u64 },
    Clear,
    Panic,
    Slow,
}

#[derive(Debug)]
enum RoomInfo {
    Said(Arc<Said>),
    Presence(Arc<PresenceDiff>),
}

impl LiveView for Room {
    type Event = RoomEvent;
    type Info = RoomInfo;

    async fn mount(params: Params, _: &Session, socket: &mut Socket<Self>) -> Result<Self> {
        if socket.connected() {
            socket.subscribe(TOPIC, RoomInfo::Said);
            socket.subscribe(TOPIC, RoomInfo::Presence);
            socket.track(TOPIC, params.get("name").unwrap_or("anon"), ());
        }
        let here = socket.presence().list(TOPIC).into_keys().collect();
        Ok(Room {
            said: Stream::new("said").limit(Limit::Last(3)),
            here,
            lagged: 0,
            infos: 0,
        })
    }

    async fn handle_event(&mut self, event: RoomEvent, socket: &mut Socket<Self>) -> Result<()> {
        match event {
            RoomEvent::Say { id, text } => socket.pubsub().broadcast(TOPIC, Said { id, text }),
            RoomEvent::Shout { id, text } => {
                self.said.insert(
                    id,
                    Said {
                        id,
                        text: text.clone(),
                    },
                );
                socket.broadcast_from(TOPIC, Said { id, text });
            }
            RoomEvent::First { id, text } => {
                self.said.insert_at(At::First, id, Said { id, text });
            }
            RoomEvent::Forget { id } => {
                self.said.delete(id);
            }
            RoomEvent::Clear => {
                self.said.reset();
            }
            RoomEvent::Panic => panic!("the room fell over"),
            RoomEvent::Slow => tokio::time::sleep(Duration::from_millis(300)).await,
        }
        Ok(())
    }

    async fn handle_info(&mut self, info: RoomInfo, socket: &mut Socket<Self>) -> Result<()> {
        self.infos += 1;
        match info {
            RoomInfo::Said(said) => {
                self.said.insert(said.id, Said::clone(&said));
            }
            RoomInfo::Presence(diff) => {
                assert!(
                    diff.joins.len() + diff.leaves.len() >= 1,
                    "a diff carries joins or leaves: {diff:?}"
                );
                self.here = socket.presence().list(TOPIC).into_keys().collect();
            }
        }
        Ok(())
    }

    async fn handle_lagged(&mut self, lagged: Lagged, _: &mut Socket<Self>) -> Result<()> {
        self.lagged += lagged.missed;
        Ok(())
    }

    fn render(&self) -> Markup {
        html! {
            (self.said.render(|s| html! { p.said { (s.text) } }))
            ul id="here" { @for name in &self.here { li { (name) } } }
            p id="lagged" { "lagged " (self.lagged) }
        }
    }
}

fn app(live: &Live) -> Router {
    Router::new()
        .route("/room", live.view::<Room>())
        .merge(live.client_routes())
}

fn said(view: &LiveViewTest) -> Vec<String> {
    view.texts("#said > p").unwrap()
}

/// Waits (bounded) until `condition` holds, checking after each step.
async fn eventually<F: Future<Output = ()>>(
    mut condition: impl FnMut() -> bool,
    mut step: impl FnMut() -> F,
) {
    for _ in 0..200 {
        if condition() {
            return;
        }
        step().await;
    }
    panic!("condition not reached in time");
}

async fn tick() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

#[tokio::test]
async fn a_message_said_in_one_view_appears_in_the_other() {
    let server = Live::new(LiveConfig::default());
    let mut ada = live(app(&server), "/room?name=ada").await.unwrap();
    let mut bob = live(app(&server), "/room?name=bob").await.unwrap();
    ada.event("say", serde_json::json!({"id": 1, "text": "hello bob"}))
        .await
        .unwrap();
    // ada's own broadcast reaches her too, as a pushed update.
    ada.receive().await.unwrap();
    assert_eq!(said(&ada), ["hello bob"]);
    bob.receive().await.unwrap();
    assert_eq!(said(&bob), ["hello bob"]);
}

#[tokio::test]
async fn broadcast_from_skips_the_sender() {
    let server = Live::new(LiveConfig::default());
    let mut ada = live(app(&server), "/room?name=ada").await.unwrap();
    let mut bob = live(app(&server), "/room?name=bob").await.unwrap();
    ada.event("shout", serde_json::json!({"id": 7, "text": "once"}))
        .await
        .unwrap();
    assert_eq!(said(&ada), ["once"], "the sender renders its own copy once");
    bob.receive().await.unwrap();
    assert_eq!(said(&bob), ["once"]);
    ada.event("slow", serde_json::json!({})).await.unwrap();
    assert_eq!(said(&ada), ["once"], "no second copy arrived");
}

#[tokio::test]
async fn stream_items_are_kept_by_the_client_in_order_with_limit_delete_and_reset() {
    let server = Live::new(LiveConfig::default());
    let mut ada = live(app(&server), "/room?name=ada").await.unwrap();
    for (id, text) in [(1, "one"), (2, "two"), (3, "three")] {
        ada.event("shout", serde_json::json!({"id": id, "text": text}))
            .await
            .unwrap();
    }
    assert_eq!(said(&ada), ["one", "two", "three"]);
    ada.event("shout", serde_json::json!({"id": 4, "text": "four"}))
        .await
        .unwrap();
    assert_eq!(
        said(&ada),
        ["two", "three", "four"],
        "limit -3 keeps the last three"
    );
    ada.event("shout", serde_json::json!({"id": 3, "text": "THREE"}))
        .await
        .unwrap();
    assert_eq!(
        said(&ada),
        ["two", "THREE", "four"],
        "an existing id updates in place"
    );
    ada.event("forget", serde_json::json!({"id": 4}))
        .await
        .unwrap();
    assert_eq!(said(&ada), ["two", "THREE"]);
    ada.event("first", serde_json::json!({"id": 0, "text": "zero"}))
        .await
        .unwrap();
    assert_eq!(said(&ada), ["zero", "two", "THREE"], "at 0 goes first");
    ada.event("clear", serde_json::json!({})).await.unwrap();
    assert!(said(&ada).is_empty());
}

#[tokio::test]
async fn presence_lists_both_views_and_drops_one_whose_page_closes() {
    let server = Live::new(LiveConfig::default());
    let mut ada = live(app(&server), "/room?name=ada").await.unwrap();
    let bob = live(app(&server), "/room?name=bob").await.unwrap();
    let here = |html: &str| html.contains("<li>ada</li>") && html.contains("<li>bob</li>");
    let mut html = ada.render();
    while !here(&html) {
        html = ada.receive().await.unwrap();
    }
    bob.close().await;
    while html.contains("<li>bob</li>") {
        html = ada.receive().await.unwrap();
    }
    assert_eq!(
        server
            .presence()
            .list(TOPIC)
            .into_keys()
            .collect::<Vec<_>>(),
        ["ada"]
    );
}

#[tokio::test]
async fn a_view_that_panics_is_unsubscribed_and_untracked() {
    let server = Live::new(LiveConfig::default());
    let mut ada = live(app(&server), "/room?name=ada").await.unwrap();
    let pubsub = server.pubsub();
    // Two subscriptions on the topic: messages and presence diffs.
    assert_eq!(pubsub.subscriber_count(TOPIC), 2);
    assert!(ada.event("panic", serde_json::json!({})).await.is_err());
    eventually(|| pubsub.subscriber_count(TOPIC) == 0, tick).await;
    assert!(server.presence().list(TOPIC).is_empty());
}

#[tokio::test]
async fn a_full_mailbox_is_counted_and_the_view_is_told() {
    let server = Live::new(LiveConfig {
        mailbox_capacity: 2,
        ..LiveConfig::default()
    });
    let mut ada = live(app(&server), "/room?name=ada").await.unwrap();
    let pubsub = server.pubsub();
    // While the view sleeps in a callback, nothing drains its mailbox.
    let slow = ada.event("slow", serde_json::json!({}));
    let burst = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        for id in 0..50 {
            pubsub.broadcast(
                TOPIC,
                Said {
                    id,
                    text: "spam".into(),
                },
            );
        }
    };
    let (done, ()) = tokio::join!(slow, burst);
    done.unwrap();
    assert!(
        pubsub
            .stats()
            .queue_full
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 40
    );
    let mut html = ada.render();
    while !html.contains("lagged 4") {
        html = ada.receive().await.unwrap();
    }
}

#[test]
fn the_local_backend_fans_out_and_forgets_ended_subscribers() {
    use liveview_core::pubsub::{Delivery, Subscriber, SubscriberId};
    let pubsub = LocalPubSub::new();
    let mut receivers = Vec::new();
    for _ in 0..3 {
        let (tx, rx) = tokio::sync::mpsc::channel::<Said>(4);
        pubsub.subscribe(
            TOPIC,
            Subscriber::new(SubscriberId::next(), move |m| match m.get::<Said>() {
                Some(said) => match tx.try_send(said) {
                    Ok(()) => Delivery::Queued,
                    Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => Delivery::Full,
                    Err(_) => Delivery::Closed,
                },
                None => Delivery::Skipped,
            }),
        );
        receivers.push(rx);
    }
    let shared: std::sync::Arc<dyn PubSub> = std::sync::Arc::new(pubsub);
    shared.broadcast(
        TOPIC,
        Said {
            id: 1,
            text: "all".into(),
        },
    );
    shared.broadcast(TOPIC, "a string is another kind".to_string());
    for rx in &mut receivers {
        assert_eq!(rx.try_recv().unwrap().text, "all");
        assert!(rx.try_recv().is_err(), "other kinds are skipped");
    }
    receivers.pop();
    shared.broadcast(
        TOPIC,
        Said {
            id: 2,
            text: "two left".into(),
        },
    );
    assert_eq!(shared.subscriber_count(TOPIC), 2);
}
