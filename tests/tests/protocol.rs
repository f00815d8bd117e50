//! The wire protocol over a real websocket: every kind of bad input gets a clear answer,
//! the server stays up, and one view's crash does not touch another connection.

mod support;

use std::time::Duration;

use axum::Router;
use futures_util::SinkExt as _;
use liveview_core::maud::{html, Markup};
use liveview_core::testing::{dead_render, join_frame, live, session_token};
use liveview_core::{Live, LiveConfig, LiveEvent, LiveView, Params, Result, Session, Socket};
use serde_json::{json, Value};
use support::{next, Ws};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// A view with every kind of callback the tests need.
struct Probe {
    ticks: u32,
    path: String,
    broken_render: bool,
}

#[derive(LiveEvent)]
enum ProbeEvent {
    Panic,
    Fail,
    Tick,
    Add { amount: u32 },
    Go,
    Notify,
    Burst,
    BreakRender,
}

impl LiveView for Probe {
    type Event = ProbeEvent;
    type Info = u32;

    async fn mount(params: Params, _: &Session, _: &mut Socket<Self>) -> Result<Self> {
        Ok(Probe {
            ticks: 0,
            path: String::new(),
            broken_render: params.get("broken").is_some(),
        })
    }

    async fn handle_params(
        &mut self,
        params: Params,
        uri: &axum::http::Uri,
        _: &mut Socket<Self>,
    ) -> Result<()> {
        self.path = format!(
            "{}{}",
            uri.path(),
            params
                .get("tab")
                .map(|t| format!("#{t}"))
                .unwrap_or_default()
        );
        Ok(())
    }

    async fn handle_event(&mut self, event: ProbeEvent, socket: &mut Socket<Self>) -> Result<()> {
        match event {
            ProbeEvent::Panic => panic!("boom"),
            ProbeEvent::Fail => return Err("database is down".into()),
            ProbeEvent::Tick => socket.send_after(Duration::from_millis(10), 5),
            ProbeEvent::Add { amount } => self.ticks += amount,
            ProbeEvent::Go => socket.push_patch("/probe?tab=two"),
            ProbeEvent::Burst => {
                let mailbox = socket.mailbox();
                for _ in 0..100 {
                    mailbox.send(1).await?;
                }
            }
            ProbeEvent::BreakRender => self.broken_render = true,
            ProbeEvent::Notify => {
                socket.put_flash("info", "Saved");
                socket.push_event("highlight", json!({"id": 3}));
            }
        }
        Ok(())
    }

    async fn handle_info(&mut self, msg: u32, _: &mut Socket<Self>) -> Result<()> {
        self.ticks += msg;
        Ok(())
    }

    fn render(&self) -> Markup {
        assert!(!self.broken_render, "render fell over");
        html! { p id="ticks" { "ticks " (self.ticks) } p id="path" { (self.path) } }
    }
}

fn app(config: LiveConfig) -> Router {
    let live = Live::new(config);
    Router::new()
        .route("/probe", live.view::<Probe>())
        .merge(live.client_routes())
}

fn config() -> LiveConfig {
    LiveConfig {
        max_frame_bytes: 1024,
        events_per_second: 5,
        event_burst: 5,
        ..LiveConfig::default()
    }
}

/// A raw client: the page's token plus a socket to the same server.
async fn connect(config: LiveConfig) -> (Ws, String, String) {
    let router = app(config);
    let page = dead_render(router.clone(), "/probe").await.unwrap();
    let token = session_token(&page).expect("the page carries a session token");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/probe?vsn=1"))
        .await
        .unwrap();
    (ws, token, format!("http://{addr}/probe"))
}

async fn send(ws: &mut Ws, frame: Value) {
    send_text(ws, frame.to_string()).await;
}

async fn send_text(ws: &mut Ws, frame: String) {
    ws.send(Message::text(frame)).await.unwrap();
}

async fn joined(config: LiveConfig) -> Ws {
    let (mut ws, token, url) = connect(config).await;
    send_text(&mut ws, join_frame(1, &token, &url)).await;
    let reply = next(&mut ws).await;
    assert_eq!(reply[0], 1);
    assert!(
        reply[1][""].is_string(),
        "join carries the root whole: {reply}"
    );
    ws
}

#[tokio::test]
async fn events_before_join_are_refused_and_join_still_works() {
    let (mut ws, token, url) = connect(config()).await;
    send(&mut ws, json!([1, "event", "add", {"amount": 1}])).await;
    assert_eq!(
        next(&mut ws).await,
        json!([1, null, {"error": "not joined: the first frame must be join"}])
    );
    send_text(&mut ws, join_frame(2, &token, &url)).await;
    assert_eq!(next(&mut ws).await[0], 2);
}

#[tokio::test]
async fn malformed_frames_get_a_clear_error_and_the_view_keeps_running() {
    let mut ws = joined(config()).await;
    for (frame, expected) in [
        ("{not json", "malformed frame: key must be a string"),
        ("{}", "malformed frame: expected a JSON array"),
        (
            r#"[5,"dance"]"#,
            "malformed frame: unknown frame kind \"dance\"",
        ),
        (
            r#"[6,"event",42]"#,
            "malformed frame: event needs a string name",
        ),
    ] {
        ws.send(Message::text(frame)).await.unwrap();
        let reply = next(&mut ws).await;
        let error = reply[2]["error"].as_str().unwrap_or_default();
        assert!(error.starts_with(expected), "{frame}: {reply}");
    }
    send(&mut ws, json!([7, "event", "add", {"amount": 2}])).await;
    assert_eq!(next(&mut ws).await, json!([7, {"ticks": [[2, 1, "2"]]}]));
}

#[tokio::test]
async fn unknown_events_and_bad_payloads_name_the_problem() {
    let mut ws = joined(config()).await;
    send(&mut ws, json!([2, "event", "fly", {}])).await;
    assert_eq!(
        next(&mut ws).await[2]["error"],
        "unknown event \"fly\"; this view handles: panic, fail, tick, add, go, notify, burst, break_render"
    );
    send(&mut ws, json!([3, "event", "add", {"amount": "lots"}])).await;
    let error = next(&mut ws).await[2]["error"].as_str().unwrap().to_owned();
    assert!(
        error.starts_with("event \"add\": invalid payload: invalid type: string \"lots\""),
        "{error}"
    );
}

#[tokio::test]
async fn an_oversized_frame_is_answered_then_the_socket_closes_with_1009() {
    let mut ws = joined(config()).await;
    send(
        &mut ws,
        json!([2, "event", "add", {"pad": "x".repeat(2000)}]),
    )
    .await;
    let error = next(&mut ws).await;
    assert!(
        error[2]["error"]
            .as_str()
            .unwrap()
            .starts_with("frame too large: "),
        "{error}"
    );
    assert_eq!(next(&mut ws).await["closed"][0], 1009);
}

#[tokio::test]
async fn a_forged_token_is_refused_with_a_reason_and_a_reload_hint() {
    let (mut ws, token, url) = connect(config()).await;
    assert!(token.contains('.'));
    send(
        &mut ws,
        json!([1, "join", {"session": "not-a-token", "url": url}]),
    )
    .await;
    assert_eq!(
        next(&mut ws).await,
        json!([1, null, {"fatal": "invalid session token: malformed", "reload": true}])
    );
    let (mut ws, token, url) = connect(config()).await;
    let (payload, _) = token.split_once('.').unwrap();
    send(
        &mut ws,
        json!([1, "join", {"session": format!("{payload}.AAAA"), "url": url}]),
    )
    .await;
    assert_eq!(
        next(&mut ws).await[2]["fatal"],
        "invalid session token: signature does not verify"
    );
    assert_eq!(next(&mut ws).await["closed"][0], 1008);
}

#[tokio::test]
async fn a_token_signed_by_another_server_is_refused() {
    let other = LiveConfig {
        secret_key: Some(vec![7; 32]),
        ..config()
    };
    let (_, foreign_token, _) = connect(other).await;
    let (mut ws, _, url) = connect(config()).await;
    send(
        &mut ws,
        json!([1, "join", {"session": foreign_token, "url": url}]),
    )
    .await;
    assert_eq!(
        next(&mut ws).await[2]["fatal"],
        "invalid session token: signature does not verify"
    );
}

#[tokio::test]
async fn a_socket_from_a_foreign_origin_is_refused() {
    let (_, _, url) = connect(config()).await;
    let mut request = url.replace("http", "ws").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", "http://evil.example".parse().unwrap());
    let error = tokio_tungstenite::connect_async(request).await.unwrap_err();
    assert!(error.to_string().contains("403"), "{error}");
}

#[tokio::test]
async fn a_panic_or_error_ends_only_that_view() {
    let mut other = joined(config()).await;
    for event in ["panic", "fail", "break_render"] {
        let mut ws = joined(config()).await;
        send(&mut ws, json!([2, "event", event, {}])).await;
        assert_eq!(
            next(&mut ws).await,
            json!([2, null, {"fatal": "the view crashed; rejoining"}])
        );
        assert_eq!(next(&mut ws).await["closed"][0], 1011);
    }
    send(&mut other, json!([2, "event", "add", {"amount": 1}])).await;
    assert_eq!(next(&mut other).await, json!([2, {"ticks": [[2, 1, "1"]]}]));
}

#[tokio::test]
async fn a_dead_render_that_panics_answers_500_and_the_server_goes_on() {
    let router = app(config());
    let error = dead_render(router.clone(), "/probe?broken=1")
        .await
        .unwrap_err();
    assert!(error.0.contains("500"), "{error}");
    assert!(dead_render(router, "/probe").await.is_ok());
}

#[tokio::test]
async fn heartbeats_are_answered() {
    let mut ws = joined(config()).await;
    send(&mut ws, json!([2, "hb"])).await;
    assert_eq!(next(&mut ws).await, json!([2]));
}

/// The test config with a 300 ms idle timeout.
fn short_idle_timeout() -> LiveConfig {
    LiveConfig {
        idle_timeout: Duration::from_millis(300),
        ..config()
    }
}

#[tokio::test]
async fn a_silent_socket_is_closed_after_the_idle_timeout() {
    let mut ws = joined(short_idle_timeout()).await;
    let started = std::time::Instant::now();
    assert_eq!(
        next(&mut ws).await,
        json!({"closed": [1001, "idle timeout: no heartbeat"]})
    );
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn heartbeats_keep_a_socket_open_past_the_idle_timeout() {
    let mut ws = joined(short_idle_timeout()).await;
    // Six heartbeats 100 ms apart span twice the timeout.
    for r in 2..8 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        send(&mut ws, json!([r, "hb"])).await;
        assert_eq!(next(&mut ws).await, json!([r]));
    }
    // Then silence ends it.
    assert_eq!(next(&mut ws).await["closed"][0], 1001);
}

#[tokio::test]
async fn events_past_the_rate_limit_are_refused() {
    let mut ws = joined(config()).await;
    for r in 2..=7 {
        send(&mut ws, json!([r, "event", "add", {"amount": 1}])).await;
    }
    let mut refused = 0;
    for _ in 2..=7 {
        if next(&mut ws).await[2]["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("rate limited"))
        {
            refused += 1;
        }
    }
    assert_eq!(refused, 1, "a burst of 5 passes, the 6th is refused");
}

#[tokio::test]
async fn timers_reach_handle_info_and_push_a_patch() {
    let mut view = live(app(config()), "/probe").await.unwrap();
    view.event("tick", json!({})).await.unwrap();
    let html = view.receive().await.unwrap();
    assert!(html.contains("ticks 5"), "{html}");
}

#[tokio::test]
async fn push_patch_runs_handle_params_and_tells_the_client() {
    let mut view = live(app(config()), "/probe").await.unwrap();
    view.event("go", json!({})).await.unwrap();
    view.assert_patch("/probe?tab=two").unwrap();
    assert!(view.has_element_with_text("#path", "/probe#two"));
}

#[tokio::test]
async fn flash_and_pushed_events_reach_the_client() {
    let mut view = live(app(config()), "/probe").await.unwrap();
    view.event("notify", json!({})).await.unwrap();
    assert!(view.has_element_with_text("#flash .flash-info", "Saved"));
    assert_eq!(
        view.take_pushed_events(),
        vec![("highlight".to_string(), json!({"id": 3}))]
    );
    view.element(".flash-info", "Saved").click().await.unwrap();
    assert!(!view.has_element(".flash-info"));
}

#[tokio::test]
async fn messages_waiting_together_are_rendered_once() {
    let mut ws = joined(config()).await;
    send(&mut ws, json!([2, "event", "burst", {}])).await;
    assert_eq!(
        next(&mut ws).await,
        json!([2]),
        "the event itself changes nothing"
    );
    let mut pushes = 0;
    let mut ticks = String::new();
    while ticks != "100" {
        let frame = next(&mut ws).await;
        assert_eq!(
            frame[0], 0,
            "updates from messages are pushed with ref 0: {frame}"
        );
        pushes += 1;
        ticks = frame[1]["ticks"][0][2]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    }
    // 100 messages were waiting: at most 64 are handled per render, so two renders.
    assert!(pushes <= 2, "{pushes} pushes for 100 messages");
}
