//! Resume after a short disconnect, over real sockets: a view whose socket drops without a
//! close keeps its state for the grace period, and only the client holding its resume token
//! (with the same session) gets it back.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use futures_util::SinkExt as _;
use liveview_core::maud::{html, Markup};
use liveview_core::pubsub::SharedPubSub;
use liveview_core::testing::{dead_render, join_frame, session_token};
use liveview_core::{Live, LiveConfig, LiveView, Params, Result, Session, Socket};
use serde_json::{json, Value};
use support::{next, Ws};
use tokio_tungstenite::tungstenite::Message;

const NEWS: &str = "news";

/// Counts clicks, and the news broadcast on [`NEWS`].
struct Counter {
    count: u32,
    news: Vec<String>,
    /// The server's count of connected counters that ended.
    ended: Option<Ended>,
}

/// How many connected views of one server have ended.
#[derive(Clone, Default)]
struct Ended(Arc<AtomicUsize>);

#[derive(liveview_core::LiveEvent)]
enum CounterEvent {
    Increment,
}

impl LiveView for Counter {
    type Event = CounterEvent;
    type Info = Arc<String>;

    async fn mount(_: Params, _: &Session, socket: &mut Socket<Self>) -> Result<Self> {
        if socket.connected() {
            socket.subscribe(NEWS, |news: Arc<String>| news);
        }
        Ok(Counter {
            count: 0,
            news: Vec::new(),
            ended: socket
                .connected()
                .then(|| socket.extension::<Ended>().cloned())
                .flatten(),
        })
    }

    async fn handle_event(&mut self, _: CounterEvent, _: &mut Socket<Self>) -> Result<()> {
        self.count += 1;
        Ok(())
    }

    async fn handle_info(&mut self, news: Arc<String>, _: &mut Socket<Self>) -> Result<()> {
        self.news.push(news.to_string());
        Ok(())
    }

    fn render(&self) -> Markup {
        html! {
            h1 { "Count: " (self.count) }
            ul { @for news in &self.news { li { (news) } } }
        }
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        if let Some(ended) = &self.ended {
            ended.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

struct Server {
    addr: SocketAddr,
    token: String,
    pubsub: SharedPubSub,
    ended: Ended,
}

async fn serve(config: LiveConfig) -> Server {
    let ended = Ended::default();
    // The session names the user a request's `x-user` header says, as a login would.
    let live = Live::new(config)
        .with_extension(ended.clone())
        .with_session(|request| {
            let mut session = Session::default();
            if let Some(user) = request.headers.get("x-user") {
                session.insert("user", user.to_str().unwrap_or_default());
            }
            session
        });
    let router = Router::new()
        .route("/counter", live.view::<Counter>())
        .merge(live.client_routes());
    let page = dead_render(router.clone(), "/counter").await.unwrap();
    let token = session_token(&page).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Server {
        addr,
        token,
        pubsub: live.pubsub(),
        ended,
    }
}

/// A new socket's join, with a resume token or without: the reply and the socket.
async fn join(server: &Server, resume: Option<&str>) -> (Ws, Value) {
    let url = format!("http://{}/counter", server.addr);
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/counter?vsn=1", server.addr))
            .await
            .unwrap();
    let mut frame: Value = serde_json::from_str(&join_frame(1, &server.token, &url)).unwrap();
    if let Some(resume) = resume {
        frame[2]["resume"] = json!(resume);
    }
    ws.send(Message::text(frame.to_string())).await.unwrap();
    let reply = next(&mut ws).await;
    (ws, reply)
}

fn resume_token(reply: &Value) -> String {
    reply[2]["resume"]
        .as_str()
        .expect("a join reply carries a resume token")
        .to_owned()
}

/// Whether the reply's HTML shows `text` (the join reply holds the whole view).
fn shows(reply: &Value, text: &str) -> bool {
    reply[1].to_string().contains(text)
}

async fn click(ws: &mut Ws, reference: u64) {
    let frame = json!([reference, "event", "increment"]);
    ws.send(Message::text(frame.to_string())).await.unwrap();
    let reply = next(ws).await;
    assert!(reply[2]["error"].is_null(), "{reply}");
}

/// Joins and clicks five times; returns the socket and the resume token.
async fn counter_at_five(server: &Server) -> (Ws, String) {
    let (mut ws, reply) = join(server, None).await;
    for reference in 2..=6 {
        click(&mut ws, reference).await;
    }
    (ws, resume_token(&reply))
}

/// Drops the connection the way a network does: no close frame.
fn lose(ws: Ws) {
    drop(ws);
}

/// The default grace period (30 s): long past the end of any test.
fn resumable() -> LiveConfig {
    LiveConfig::default()
}

#[tokio::test]
async fn a_lost_socket_is_resumed_with_its_state_by_a_rejoin_with_the_token() {
    let server = serve(resumable()).await;
    let (ws, token) = counter_at_five(&server).await;
    lose(ws);
    let (_ws, reply) = join(&server, Some(&token)).await;
    assert!(shows(&reply, "Count: 5"), "{reply}");
    assert_ne!(
        resume_token(&reply),
        token,
        "each join reply has a new token"
    );
}

#[tokio::test]
async fn a_resumed_view_goes_on_taking_events() {
    let server = serve(resumable()).await;
    let (ws, token) = counter_at_five(&server).await;
    lose(ws);
    let (mut ws, _) = join(&server, Some(&token)).await;
    let frame = json!([2, "event", "increment"]);
    ws.send(Message::text(frame.to_string())).await.unwrap();
    let reply = next(&mut ws).await;
    assert!(reply.to_string().contains('6'), "{reply}");
}

#[tokio::test]
async fn a_token_resumes_only_once() {
    let server = serve(resumable()).await;
    let (ws, token) = counter_at_five(&server).await;
    lose(ws);
    let (second, reply) = join(&server, Some(&token)).await;
    assert!(shows(&reply, "Count: 5"));
    lose(second);
    let (_third, reply) = join(&server, Some(&token)).await;
    assert!(
        shows(&reply, "Count: 0"),
        "a used token mounts afresh: {reply}"
    );
}

#[tokio::test]
async fn a_wrong_token_mounts_afresh_and_leaves_the_view_to_its_owner() {
    let server = serve(resumable()).await;
    let (ws, token) = counter_at_five(&server).await;
    lose(ws);
    let (id, _) = token.split_once('.').unwrap();
    let (_guess, reply) = join(&server, Some(&format!("{id}.AAAAAAAAAAAAAAAAAAAAAA"))).await;
    assert!(shows(&reply, "Count: 0"), "{reply}");
    let (_owner, reply) = join(&server, Some(&token)).await;
    assert!(shows(&reply, "Count: 5"), "{reply}");
}

#[tokio::test]
async fn a_token_does_not_resume_a_view_under_another_session() {
    let server = serve(resumable()).await;
    let (ws, token) = counter_at_five(&server).await;
    lose(ws);
    // Another user's page: another signed session.
    let other = Server {
        token: session_token(&page_of(server.addr, "mallory").await).unwrap(),
        addr: server.addr,
        pubsub: server.pubsub.clone(),
        ended: server.ended.clone(),
    };
    assert_ne!(other.token, server.token);
    let (_ws, reply) = join(&other, Some(&token)).await;
    assert!(shows(&reply, "Count: 0"), "{reply}");
}

/// The page as `user`'s browser gets it.
async fn page_of(addr: SocketAddr, user: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /counter HTTP/1.1\r\nHost: {addr}\r\nx-user: {user}\r\nConnection: close\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut page = String::new();
    tcp.read_to_string(&mut page).await.unwrap();
    page
}

#[tokio::test]
async fn a_clean_close_ends_the_view() {
    let server = serve(resumable()).await;
    let (mut ws, token) = counter_at_five(&server).await;
    ws.close(None).await.unwrap();
    let (_ws, reply) = join(&server, Some(&token)).await;
    assert!(shows(&reply, "Count: 0"), "{reply}");
}

#[tokio::test]
async fn messages_broadcast_while_parked_are_in_the_resumed_render() {
    let server = serve(resumable()).await;
    let (ws, token) = counter_at_five(&server).await;
    lose(ws);
    server.pubsub.broadcast(NEWS, "sent while away".to_owned());
    let (_ws, reply) = join(&server, Some(&token)).await;
    assert!(shows(&reply, "sent while away"), "{reply}");
    assert!(shows(&reply, "Count: 5"), "{reply}");
}

#[tokio::test]
async fn a_rejoin_takes_over_a_view_whose_old_socket_still_looks_open() {
    let server = serve(resumable()).await;
    let (mut old, token) = counter_at_five(&server).await;
    let (_new, reply) = join(&server, Some(&token)).await;
    assert!(shows(&reply, "Count: 5"), "{reply}");
    assert_eq!(next(&mut old).await["closed"][0], 1001);
}

/// Under `config`, a counter at five that loses its socket is gone: its token mounts afresh.
async fn a_lost_view_is_not_kept(config: LiveConfig) {
    let server = serve(config).await;
    let (ws, token) = counter_at_five(&server).await;
    lose(ws);
    let (_ws, reply) = join(&server, Some(&token)).await;
    assert!(shows(&reply, "Count: 0"), "{reply}");
}

#[tokio::test]
async fn with_resuming_off_a_lost_view_ends_at_once() {
    a_lost_view_is_not_kept(LiveConfig {
        resume_grace: Duration::ZERO,
        ..LiveConfig::default()
    })
    .await;
}

#[tokio::test]
async fn past_the_parked_limit_a_lost_view_ends_at_once() {
    a_lost_view_is_not_kept(LiveConfig {
        max_parked_views: 0,
        ..LiveConfig::default()
    })
    .await;
}

#[tokio::test]
async fn a_parked_view_ends_when_the_grace_period_is_over() {
    let server = serve(LiveConfig {
        resume_grace: Duration::from_millis(50),
        ..LiveConfig::default()
    })
    .await;
    let (ws, token) = counter_at_five(&server).await;
    lose(ws);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while server.ended.0.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the view did not end in 5 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (_ws, reply) = join(&server, Some(&token)).await;
    assert!(shows(&reply, "Count: 0"), "{reply}");
}

#[tokio::test]
async fn a_resumed_view_is_the_same_view_not_a_new_mount() {
    let server = serve(resumable()).await;
    let (ws, token) = counter_at_five(&server).await;
    lose(ws);
    let (_ws, reply) = join(&server, Some(&token)).await;
    assert!(shows(&reply, "Count: 5"));
    assert_eq!(server.ended.0.load(Ordering::SeqCst), 0, "no view ended");
}

#[tokio::test]
async fn a_client_that_closes_to_reconnect_finds_its_view_waiting() {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    let server = serve(resumable()).await;
    let (mut ws, token) = counter_at_five(&server).await;
    let reconnecting = CloseFrame {
        code: CloseCode::from(4000),
        reason: "restart".into(),
    };
    ws.close(Some(reconnecting)).await.unwrap();
    let (_ws, reply) = join(&server, Some(&token)).await;
    assert!(shows(&reply, "Count: 5"), "{reply}");
}
