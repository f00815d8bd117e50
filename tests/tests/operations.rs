//! What an operator sees of the demo: `GET /metrics` in the Prometheus text format, and
//! one tracing span per connection on every log line its process writes.
//!
//! A process has one global metrics recorder (and one tracing call-site cache), and this
//! file's tests share it. The tests that read exact figures or capture log lines take
//! [`quiet`] first: one at a time, each starting once the previous
//! one's views are gone, and each reading counters as differences from its own start.

mod support;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use futures_util::SinkExt as _;
use liveview_core::metrics::{
    ErrorKind, CONNECTED_VIEWS, ERRORS, EVENTS, JOINS, KIND, RENDER_SECONDS, SENT_BYTES,
};
use liveview_core::testing::{dead_render, join_frame, live, session_token};
use liveview_core::LiveConfig;
use serde_json::json;
use support::{next, Ws};
use tokio_tungstenite::tungstenite::Message;
use tower::ServiceExt as _;

/// The demo on a private in-memory database.
async fn app(config: LiveConfig) -> Router {
    let state = demo_app::AppState::open("sqlite::memory:").await.unwrap();
    demo_app::router(config, state)
}

/// The answer to `GET path`: status, content type and body.
async fn get(app: &Router, path: &str) -> (StatusCode, String, String) {
    let request = Request::get(path).body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

/// The figures of `/metrics` at one moment.
struct Scrape(String);

impl Scrape {
    async fn of(app: &Router) -> Scrape {
        let (status, _, body) = get(app, "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        Scrape(body)
    }

    /// The value of one series, e.g. `liveview_joins_total` or
    /// `liveview_errors_total{kind="bad_frame"}`.
    fn value(&self, series: &str) -> f64 {
        self.0
            .lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no series {series} in\n{}", self.0))
            .parse()
            .unwrap()
    }

    fn errors(&self, kind: ErrorKind) -> f64 {
        self.value(&format!("{ERRORS}{{{KIND}=\"{}\"}}", kind.label()))
    }
}

/// Serialises the tests that read exact figures, and waits until no view of an earlier
/// test is still connected.
async fn quiet(app: &Router) -> tokio::sync::MutexGuard<'static, ()> {
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let guard = ONE_AT_A_TIME.lock().await;
    connected_views_reach(app, 0.0).await;
    guard
}

/// Waits until the connected-views gauge reads `n`; fails after 5 s.
async fn connected_views_reach(app: &Router, n: f64) {
    let reached = async {
        while Scrape::of(app).await.value(CONNECTED_VIEWS) != n {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), reached)
        .await
        .unwrap_or_else(|_| panic!("{CONNECTED_VIEWS} never reached {n}"));
}

#[tokio::test]
async fn a_join_and_two_clicks_count_one_view_one_join_two_events_and_three_renders() {
    let app = app(LiveConfig::default()).await;
    let _quiet = quiet(&app).await;
    let before = Scrape::of(&app).await;

    let mut view = live(app.clone(), "/counter").await.unwrap();
    view.element("button", "+").click().await.unwrap();
    view.element("button", "+").click().await.unwrap();
    let after = Scrape::of(&app).await;

    assert_eq!(after.value(CONNECTED_VIEWS), 1.0);
    assert_eq!(after.value(JOINS) - before.value(JOINS), 1.0);
    assert_eq!(after.value(EVENTS) - before.value(EVENTS), 2.0);
    let renders = format!("{RENDER_SECONDS}_count");
    assert!(after.value(&renders) - before.value(&renders) >= 3.0);
    assert!(after.value(SENT_BYTES) > before.value(SENT_BYTES));
}

#[tokio::test]
async fn a_closed_socket_takes_the_connected_views_gauge_back_to_zero() {
    let app = app(LiveConfig::default()).await;
    let _quiet = quiet(&app).await;
    let view = live(app.clone(), "/counter").await.unwrap();
    assert_eq!(Scrape::of(&app).await.value(CONNECTED_VIEWS), 1.0);

    drop(view);
    connected_views_reach(&app, 0.0).await;
}

/// Serves `app` on a loopback port and joins its counter over a raw websocket.
async fn joined_counter(app: &Router) -> Ws {
    let token = session_token(&dead_render(app.clone(), "/counter").await.unwrap()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = app.clone();
    tokio::spawn(async move { axum::serve(listener, server).await });
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/counter?vsn=1"))
        .await
        .unwrap();
    let join = join_frame(1, &token, &format!("http://{addr}/counter"));
    ws.send(Message::text(join)).await.unwrap();
    assert_eq!(next(&mut ws).await[0], 1, "the join reply");
    ws
}

#[tokio::test]
async fn a_bad_frame_and_a_rate_limited_frame_are_counted_under_their_kinds() {
    // One event, then none: the second click is over the limit whatever the timing.
    let app = app(LiveConfig {
        events_per_second: 0,
        event_burst: 1,
        ..LiveConfig::default()
    })
    .await;
    let _quiet = quiet(&app).await;
    let before = Scrape::of(&app).await;
    let mut ws = joined_counter(&app).await;

    ws.send(Message::text("not json")).await.unwrap();
    assert!(next(&mut ws).await[2]["error"].is_string());
    for reference in [2, 3] {
        let click = json!([reference, "event", "increment", {}]).to_string();
        ws.send(Message::text(click)).await.unwrap();
    }
    assert!(next(&mut ws).await[2].get("error").is_none());
    let refused = next(&mut ws).await;
    assert!(refused[2]["error"]
        .as_str()
        .is_some_and(|e| e.starts_with("rate limited")));

    let after = Scrape::of(&app).await;
    for kind in [ErrorKind::BadFrame, ErrorKind::RateLimited] {
        assert_eq!(after.errors(kind) - before.errors(kind), 1.0, "{kind:?}");
    }
    assert_eq!(after.value(EVENTS) - before.value(EVENTS), 1.0);
}

#[tokio::test]
async fn metrics_are_served_as_prometheus_text_and_unknown_paths_stay_not_found() {
    let app = app(LiveConfig::default()).await;
    let (status, content_type, body) = get(&app, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/plain; version=0.0.4"));
    assert!(body.contains(&format!("# TYPE {CONNECTED_VIEWS} gauge")));
    for path in ["/metrics/x", "/metric", "/nope"] {
        assert_eq!(get(&app, path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
}

/// A log sink for one test's thread.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_warning_from_a_view_process_names_the_view_and_its_connection_under_rust_log_warn() {
    let log = Log::default();
    let sink = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    // The test's runtime is single-threaded: the server's tasks log on this thread.
    let _default = tracing::subscriber::set_default(subscriber);
    let app = app(LiveConfig::default()).await;
    // tracing decides once per call site whether anyone listens. Another test's view
    // creating the span while this subscriber is being added could leave that decision
    // without it, so no view connects while it is made again.
    let _quiet = quiet(&app).await;
    tracing::callsite::rebuild_interest_cache();
    let mut ws = joined_counter(&app).await;

    ws.send(Message::text("not json")).await.unwrap();
    assert!(next(&mut ws).await[2]["error"].is_string());

    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let line = log
        .lines()
        .find(|line| line.contains("bad frame"))
        .unwrap_or_else(|| panic!("no bad frame warning in\n{log}"));
    assert!(
        line.contains("view{view=\"demo_app::counter::Counter\" id="),
        "{line}"
    );
}
