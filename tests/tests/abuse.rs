//! A hostile client over real sockets: what the connection layer must survive. Each test
//! is bounded in time.

mod support;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use futures_util::SinkExt as _;
use liveview_core::maud::{html, Markup};
use liveview_core::testing::{dead_render, join_frame, session_token};
use liveview_core::{Live, LiveConfig, LiveView, Params, Result, Session, Socket};
use serde_json::json;
use support::{next, Ws};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tower::ServiceExt as _;

struct Page;

impl LiveView for Page {
    type Event = ();
    type Info = ();

    async fn mount(_: Params, _: &Session, _: &mut Socket<Self>) -> Result<Self> {
        Ok(Page)
    }

    async fn handle_event(&mut self, _: (), _: &mut Socket<Self>) -> Result<()> {
        Ok(())
    }

    fn render(&self) -> Markup {
        html! { p { "hello" } }
    }
}

/// A view that, once asked, pushes a 60 KB update after every update, forever.
struct Firehose {
    n: u32,
}

#[derive(liveview_core::LiveEvent)]
enum FirehoseEvent {
    Flood,
}

impl LiveView for Firehose {
    type Event = FirehoseEvent;
    type Info = ();

    async fn mount(_: Params, _: &Session, socket: &mut Socket<Self>) -> Result<Self> {
        if socket.connected() {
            socket.subscribe(FIREHOSE, |_: std::sync::Arc<()>| ());
        }
        Ok(Firehose { n: 0 })
    }

    async fn handle_event(&mut self, _: FirehoseEvent, socket: &mut Socket<Self>) -> Result<()> {
        socket.send_after(Duration::ZERO, ());
        Ok(())
    }

    async fn handle_info(&mut self, _: (), socket: &mut Socket<Self>) -> Result<()> {
        self.n += 1;
        socket.send_after(Duration::ZERO, ());
        Ok(())
    }

    fn render(&self) -> Markup {
        let n = self.n;
        html! { p { @for i in 0..8000 { (n) "-" (i) " " } } }
    }
}

const FIREHOSE: &str = "firehose";

fn config() -> LiveConfig {
    LiveConfig {
        max_frame_bytes: 1024,
        events_per_second: 5,
        event_burst: 5,
        ..LiveConfig::default()
    }
}

fn app() -> Router {
    app_on(&Live::new(config()))
}

fn app_on(live: &Live) -> Router {
    Router::new()
        .route("/page", live.view::<Page>())
        .route("/firehose", live.view::<Firehose>())
        .merge(live.client_routes())
}

/// Serves the app on a loopback port; returns its address and a page token.
async fn serve() -> (std::net::SocketAddr, String) {
    serve_live(&Live::new(config()), "/page").await
}

/// Serves `live`'s app on a loopback port; returns its address and the token of `path`.
async fn serve_live(live: &Live, path: &str) -> (std::net::SocketAddr, String) {
    let router = app_on(live);
    let page = dead_render(router.clone(), path).await.unwrap();
    let token = session_token(&page).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (addr, token)
}

/// A socket to `path` that has joined its view.
async fn join(addr: std::net::SocketAddr, token: &str, path: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}{path}?vsn=1"))
        .await
        .unwrap();
    let url = format!("http://{addr}{path}");
    ws.send(Message::text(join_frame(1, token, &url)))
        .await
        .unwrap();
    next(&mut ws).await;
    ws
}

async fn joined() -> Ws {
    let (addr, token) = serve().await;
    join(addr, &token, "/page").await
}

/// A websocket opened by hand, to send frames no well-behaved client would.
async fn raw_websocket() -> TcpStream {
    let (addr, _) = serve().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /page?vsn=1 HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        tcp.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"));
    tcp
}

/// The close code of the close frame the server sends next.
async fn close_code(tcp: &mut TcpStream) -> u16 {
    let mut answer = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(3), tcp.read(&mut answer))
        .await
        .expect("an answer in time")
        .unwrap();
    assert!(
        read >= 4 && answer[0] == 0x88,
        "a close frame: {:?}",
        &answer[..read]
    );
    u16::from_be_bytes([answer[2], answer[3]])
}

#[tokio::test]
async fn a_text_frame_that_is_not_utf8_is_closed_with_1007() {
    let mut tcp = raw_websocket().await;
    let mask = [1u8, 2, 3, 4];
    let payload: Vec<u8> = [0xffu8, 0xfe, 0xfd]
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ mask[i % 4])
        .collect();
    let mut frame = vec![0x81, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend_from_slice(&payload);
    tcp.write_all(&frame).await.unwrap();
    assert_eq!(close_code(&mut tcp).await, 1007);
}

#[tokio::test]
async fn an_unmasked_client_frame_is_closed_with_1002() {
    let mut tcp = raw_websocket().await;
    tcp.write_all(&[0x81, 2, b'h', b'i']).await.unwrap();
    assert_eq!(close_code(&mut tcp).await, 1002);
}

#[tokio::test]
async fn a_frame_announcing_more_than_the_limit_is_refused_before_its_payload_arrives() {
    let mut tcp = raw_websocket().await;
    // A masked text frame announcing 8 MiB (under tungstenite's 16 MiB default), and no
    // payload: the server must not wait to buffer it.
    let mut frame = vec![0x81, 0x80 | 127];
    frame.extend_from_slice(&(8u64 << 20).to_be_bytes());
    frame.extend_from_slice(&[1, 2, 3, 4]);
    tcp.write_all(&frame).await.unwrap();
    let mut answer = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(3), tcp.read(&mut answer))
        .await
        .expect("the server answers without waiting for 8 MiB")
        .unwrap();
    // The error frame saying so (then a 1009 close), or a close, or a dropped connection:
    // never a wait.
    let text = String::from_utf8_lossy(&answer[..read]);
    assert!(
        read == 0 || answer[0] == 0x88 || text.contains("frame too large"),
        "{text:?}"
    );
}

#[tokio::test]
async fn a_client_that_keeps_sending_bad_frames_is_closed() {
    let mut ws = joined().await;
    let mut closed = None;
    for i in 0..40 {
        ws.send(Message::text(format!("not json {i}"))).await.ok();
        let answer = next(&mut ws).await;
        if !answer["closed"].is_null() {
            closed = Some((i, answer["closed"][0].clone()));
            break;
        }
        assert!(answer[2]["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("malformed frame")));
    }
    let (after, code) = closed.expect("closed before 40 bad frames");
    assert_eq!(code, 1008);
    assert!(
        after >= 20,
        "20 bad frames are answered first, closed after {after}"
    );
}

#[tokio::test]
async fn nav_frames_count_against_the_rate_limit() {
    let mut ws = joined().await;
    let mut refused = 0;
    for r in 2..14 {
        ws.send(Message::text(
            json!([r, "nav", "http://x/page?n=1"]).to_string(),
        ))
        .await
        .unwrap();
        let answer = next(&mut ws).await;
        if answer[2]["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("rate limited"))
        {
            refused += 1;
        }
    }
    assert!(
        refused >= 5,
        "12 navs against a burst of 5: {refused} refused"
    );
}

#[tokio::test]
async fn only_http_pages_of_this_host_may_open_a_socket() {
    let (addr, _) = serve().await;
    for origin in [
        format!("null://{addr}"),
        format!("chrome-extension://{addr}"),
        format!("file://{addr}"),
    ] {
        let mut request = format!("ws://{addr}/page?vsn=1")
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
        let error = tokio_tungstenite::connect_async(request).await.unwrap_err();
        assert!(error.to_string().contains("403"), "{origin}: {error}");
    }
    let mut request = format!("ws://{addr}/page?vsn=1")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("origin", format!("http://{addr}").parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_ok());
}

#[tokio::test]
async fn pages_may_not_be_framed_or_sniffed() {
    let response = app()
        .oneshot(Request::get("/page").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers();
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["content-security-policy"], "frame-ancestors 'none'");
}

#[test]
fn a_short_secret_or_a_bad_rate_in_the_environment_is_an_error_not_a_fallback() {
    // One test owns these variables: tests run in parallel threads of one process.
    std::env::set_var("LIVEVIEW_SECRET", "too short");
    let error = LiveConfig::from_env().unwrap_err();
    assert!(error.to_string().contains("at least 32"), "{error}");
    std::env::set_var("LIVEVIEW_SECRET", "a".repeat(32));
    std::env::set_var("LIVEVIEW_EVENTS_PER_SECOND", "lots");
    let error = LiveConfig::from_env().unwrap_err();
    assert!(error.to_string().contains("whole number"), "{error}");
    std::env::remove_var("LIVEVIEW_EVENTS_PER_SECOND");
    assert!(LiveConfig::from_env().is_ok());
    std::env::remove_var("LIVEVIEW_SECRET");
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_after_the_write_timeout() {
    // With resuming off, the view ends with its socket, and its end shows the drop; with
    // it on, the socket goes as soon, but the view waits out the grace period (resume.rs).
    let live = Live::new(LiveConfig {
        write_timeout: Duration::from_millis(300),
        resume_grace: Duration::ZERO,
        ..config()
    });
    let (addr, token) = serve_live(&live, "/firehose").await;
    let mut ws = join(addr, &token, "/firehose").await;
    ws.send(Message::text(json!([2, "event", "flood", {}]).to_string()))
        .await
        .unwrap();
    // From here on the client reads nothing; the server's writes fill the socket buffers.
    let pubsub = live.pubsub();
    assert_eq!(pubsub.subscriber_count(FIREHOSE), 1);
    let gave_up = async {
        while pubsub.subscriber_count(FIREHOSE) > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), gave_up)
        .await
        .expect("the process ended within 20 s of the client no longer reading");
    drop(ws);
}

#[tokio::test]
async fn shutdown_tells_every_client_going_away_and_waits_for_the_views() {
    let live = Live::new(config());
    let (addr, token) = serve_live(&live, "/page").await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(join(addr, &token, "/page").await);
    }
    let still_running = live.shutdown(Duration::from_secs(5)).await;
    assert_eq!(still_running, 0);
    for mut ws in clients {
        assert_eq!(next(&mut ws).await["closed"][0], 1001);
    }
}

/// Serves `app` through `liveview_core::serve` with `limits`; returns the address and the
/// handle to stop it.
async fn serve_limited(
    limits: liveview_core::ServeLimits,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(liveview_core::serve(listener, app(), limits, async {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// Sends half a request and returns when the server closes the connection.
async fn half_request(addr: std::net::SocketAddr) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /page HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    tcp
}

async fn closed_by_server(mut tcp: TcpStream) {
    let mut buf = [0u8; 256];
    loop {
        match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

#[tokio::test]
async fn half_sent_requests_are_closed_after_the_header_read_timeout() {
    let (addr, _stop) = serve_limited(liveview_core::ServeLimits {
        header_read_timeout: Duration::from_millis(300),
        ..liveview_core::ServeLimits::default()
    })
    .await;
    let slow: Vec<_> = futures_util::future::join_all((0..50).map(|_| half_request(addr))).await;
    let all_closed = futures_util::future::join_all(slow.into_iter().map(closed_by_server));
    tokio::time::timeout(Duration::from_secs(5), all_closed)
        .await
        .expect("every half-sent request closed within 5 s");
}

#[tokio::test]
async fn connections_over_the_cap_are_refused_and_the_server_keeps_answering() {
    let (addr, _stop) = serve_limited(liveview_core::ServeLimits {
        max_connections: 10,
        header_read_timeout: Duration::from_secs(2),
        ..liveview_core::ServeLimits::default()
    })
    .await;
    let mut slow = Vec::new();
    for _ in 0..10 {
        slow.push(half_request(addr).await);
    }
    // The eleventh is closed at once.
    let extra = half_request(addr).await;
    tokio::time::timeout(Duration::from_secs(1), closed_by_server(extra))
        .await
        .expect("a connection over the cap is closed at once");
    // Once the slow ones time out, the server answers again.
    drop(slow);
    let answered = async {
        loop {
            let mut tcp = TcpStream::connect(addr).await.unwrap();
            tcp.write_all(b"GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .await
                .unwrap();
            let mut reply = Vec::new();
            let _ = tcp.read_to_end(&mut reply).await;
            if reply.starts_with(b"HTTP/1.1 200") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), answered)
        .await
        .expect("the page is served again");
}

#[tokio::test]
async fn serve_stops_accepting_on_shutdown_and_returns() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(liveview_core::serve(
        listener,
        app(),
        liveview_core::ServeLimits {
            shutdown_grace: Duration::from_millis(500),
            ..liveview_core::ServeLimits::default()
        },
        async {
            let _ = stopped.await;
        },
    ));
    // A half-sent request does not keep the server from stopping.
    let _slow = half_request(addr).await;
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(3), server)
        .await
        .expect("serve returned within the grace")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
}
