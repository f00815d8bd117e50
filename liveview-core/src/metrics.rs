//! Operational metrics: what the framework counts, under which names, and a Prometheus
//! exporter to read them.
//!
//! The framework records through the [`metrics`](https://docs.rs/metrics) facade. Until a
//! recorder is installed every recording is a call into the facade's no-op recorder, so an
//! app that does not want metrics pays next to nothing. [`install`] installs the Prometheus
//! recorder once per process and returns a [`MetricsHandle`]; mount its
//! [`route`](MetricsHandle::route) where the app wants the text format served:
//!
//! ```
//! use axum::Router;
//!
//! let metrics = liveview_core::metrics::install().expect("no other metrics recorder");
//! let app: Router = Router::new().route("/metrics", metrics.route());
//! ```
//!
//! Who may read `/metrics` is the app's decision (see `docs/security.md`): the figures tell
//! an outsider how busy the server is and which errors it sees, nothing about any user.
//!
//! Every name is a constant here, and `docs/guide.md` ("Operations") says what each one
//! means. Recording functions are `pub(crate)`: only the framework records.

use std::sync::OnceLock;
use std::time::Duration;

use ::metrics::{Counter, Gauge, Histogram, Key, Label, Level, Metadata};
use axum::http::header;
use axum::routing::{get, MethodRouter};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Gauge: views whose process is running with a socket attached.
pub const CONNECTED_VIEWS: &str = "liveview_connected_views";
/// Counter: joins that mounted a view (refused joins are errors of kind `refused_join`).
pub const JOINS: &str = "liveview_joins_total";
/// Counter: events handed to a view's `handle_event`.
pub const EVENTS: &str = "liveview_events_total";
/// Histogram, in seconds: one render of a connected view, diff and encoding included. Its
/// `_count` is the number of renders.
pub const RENDER_SECONDS: &str = "liveview_render_seconds";
/// Counter: bytes of the text frames sent to clients (websocket framing not included).
pub const SENT_BYTES: &str = "liveview_sent_bytes_total";
/// Counter, labelled [`KIND`]: what went wrong, one [`ErrorKind`] per label value.
pub const ERRORS: &str = "liveview_errors_total";
/// The label of [`ERRORS`] that names the [`ErrorKind`].
pub const KIND: &str = "kind";
/// Counter: views that a rejoining client took back after a disconnect, state and all.
pub const RESUMED_VIEWS: &str = "liveview_resumed_views_total";
/// Counter: disconnected views whose grace period ran out before their client came back.
pub const EXPIRED_VIEWS: &str = "liveview_expired_views_total";
/// Counter: pubsub messages lost to a subscriber whose mailbox was full (the view is told
/// through `handle_lagged`).
pub const PUBSUB_QUEUE_FULL: &str = "liveview_pubsub_queue_full_total";
/// Gauge: presences tracked on this node, over all topics.
pub const PRESENCES: &str = "liveview_presences";

/// What went wrong, as the [`KIND`] label of [`ERRORS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A frame that is not the protocol: malformed JSON, an unknown frame kind, a binary
    /// frame, anything before the join or a second join.
    BadFrame,
    /// An event the view does not handle or whose payload does not decode, or a `nav` to an
    /// invalid URL.
    BadEvent,
    /// An event or `nav` over the connection's rate limit.
    RateLimited,
    /// A frame over the size limit (the socket is closed with 1009).
    FrameTooLarge,
    /// A frame that breaks the websocket protocol or is not UTF-8 (closed with 1002/1007).
    WebsocketViolation,
    /// A connection closed for sending bad frames in a row (1008).
    TooManyBadFrames,
    /// A join whose session token is forged, expired or for another view.
    RefusedJoin,
    /// A websocket upgrade from an origin that is not allowed.
    RefusedOrigin,
    /// A socket that sent no join frame in time.
    JoinTimeout,
    /// A socket that went quiet (no heartbeat) and was closed.
    IdleTimeout,
    /// A client that stopped reading: a write did not finish in time.
    WriteTimeout,
    /// A view callback (mount, an event, render, ...) panicked or returned an error.
    Crash,
}

impl ErrorKind {
    /// Every kind, in declaration order: [`install`] lists each at 0, so a dashboard's
    /// `rate()` has a series before the first error.
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::BadFrame,
        ErrorKind::BadEvent,
        ErrorKind::RateLimited,
        ErrorKind::FrameTooLarge,
        ErrorKind::WebsocketViolation,
        ErrorKind::TooManyBadFrames,
        ErrorKind::RefusedJoin,
        ErrorKind::RefusedOrigin,
        ErrorKind::JoinTimeout,
        ErrorKind::IdleTimeout,
        ErrorKind::WriteTimeout,
        ErrorKind::Crash,
    ];

    /// The label value, as it appears in `/metrics`.
    ///
    /// ```
    /// use liveview_core::metrics::ErrorKind;
    ///
    /// assert_eq!(ErrorKind::RateLimited.label(), "rate_limited");
    /// ```
    pub const fn label(self) -> &'static str {
        match self {
            ErrorKind::BadFrame => "bad_frame",
            ErrorKind::BadEvent => "bad_event",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::FrameTooLarge => "frame_too_large",
            ErrorKind::WebsocketViolation => "websocket_violation",
            ErrorKind::TooManyBadFrames => "too_many_bad_frames",
            ErrorKind::RefusedJoin => "refused_join",
            ErrorKind::RefusedOrigin => "refused_origin",
            ErrorKind::JoinTimeout => "join_timeout",
            ErrorKind::IdleTimeout => "idle_timeout",
            ErrorKind::WriteTimeout => "write_timeout",
            ErrorKind::Crash => "crash",
        }
    }
}

/// Upper bounds of the render histogram's buckets, in seconds: a counter renders in about
/// 2 µs, a 1,000-row table in 100 µs to 1 ms; anything past 25 ms is a problem to see.
const RENDER_BUCKETS: [f64; 16] = [
    2.5e-6, 5e-6, 10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3,
    50e-3, 100e-3, 1.0,
];

/// How often histogram samples are folded into their buckets between scrapes, so memory
/// stays bounded when nobody scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The `Content-Type` of the Prometheus text exposition format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

// The keys of the metrics recorded on every event, built at compile time: recording then
// neither allocates nor hashes a name.
static CONNECTED_VIEWS_KEY: Key = Key::from_static_name(CONNECTED_VIEWS);
static JOINS_KEY: Key = Key::from_static_name(JOINS);
static EVENTS_KEY: Key = Key::from_static_name(EVENTS);
static RENDER_SECONDS_KEY: Key = Key::from_static_name(RENDER_SECONDS);
static SENT_BYTES_KEY: Key = Key::from_static_name(SENT_BYTES);
static RESUMED_VIEWS_KEY: Key = Key::from_static_name(RESUMED_VIEWS);
static EXPIRED_VIEWS_KEY: Key = Key::from_static_name(EXPIRED_VIEWS);
static PUBSUB_QUEUE_FULL_KEY: Key = Key::from_static_name(PUBSUB_QUEUE_FULL);
static PRESENCES_KEY: Key = Key::from_static_name(PRESENCES);
static METADATA: Metadata<'static> = Metadata::new(module_path!(), Level::INFO, None);

/// The counters without labels and their `# HELP` lines.
const COUNTERS: [(&Key, &str); 6] = [
    (&JOINS_KEY, "Joins that mounted a view."),
    (&EVENTS_KEY, "Events handed to a view's handle_event."),
    (
        &SENT_BYTES_KEY,
        "Bytes of text frames sent to clients, websocket framing not included.",
    ),
    (
        &RESUMED_VIEWS_KEY,
        "Views a rejoining client took back after a disconnect.",
    ),
    (
        &EXPIRED_VIEWS_KEY,
        "Disconnected views whose grace period ran out.",
    ),
    (
        &PUBSUB_QUEUE_FULL_KEY,
        "PubSub messages lost to a full view mailbox.",
    ),
];

/// The gauges and their `# HELP` lines.
const GAUGES: [(&Key, &str); 2] = [
    (
        &CONNECTED_VIEWS_KEY,
        "Views whose process runs with a socket attached.",
    ),
    (&PRESENCES_KEY, "Presences tracked on this node."),
];

/// Handles to the metrics recorded on every event, taken once from the recorder [`install`]
/// installed. Looking a metric up in the recorder's registry costs about 600 instructions,
/// a quarter of what the metrics added to a click before these handles; a handle costs an
/// atomic add.
#[derive(Debug)]
struct EveryEvent {
    events: Counter,
    sent_bytes: Counter,
    render_seconds: Histogram,
}

static EVERY_EVENT: OnceLock<EveryEvent> = OnceLock::new();

const ERRORS_HELP: &str = "Errors by kind: bad frames, refused joins, crashes, rate limits.";
const RENDER_HELP: &str = "Seconds per render of a connected view, diff and encoding included.";

/// The exporter: renders what the installed recorder holds in the Prometheus text format.
#[derive(Debug, Clone)]
pub struct MetricsHandle {
    prometheus: PrometheusHandle,
}

impl MetricsHandle {
    /// Every metric in the Prometheus text exposition format, as `/metrics` serves it.
    ///
    /// ```
    /// let metrics = liveview_core::metrics::install().unwrap();
    /// assert!(metrics.render().contains("liveview_connected_views "));
    /// ```
    pub fn render(&self) -> String {
        self.prometheus.render()
    }

    /// A `GET` handler that answers with [`render`](Self::render) and the format's content
    /// type; mount it at the path the scraper is told (`/metrics` by convention).
    pub fn route<S: Clone + Send + Sync + 'static>(&self) -> MethodRouter<S> {
        let handle = self.clone();
        get(move || {
            let body = handle.render();
            async move { ([(header::CONTENT_TYPE, TEXT_FORMAT)], body) }
        })
    }
}

/// The recorder could not be installed: the process already has another global `metrics`
/// recorder (the app installed its own; then read the framework's metrics from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallError(String);

impl std::fmt::Display for InstallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InstallError {}

/// Installs the Prometheus recorder as this process's global `metrics` recorder and returns
/// the handle that renders it. A process has one global recorder, so only the first call
/// installs; later calls return a handle to the same recorder, which lets every router an
/// app (or a test) builds mount `/metrics`.
///
/// Install before serving: a view that connected earlier is not in the connected-views
/// gauge. Every metric is listed from the start, at 0.
///
/// ```
/// use liveview_core::metrics::{install, JOINS};
///
/// let metrics = install().unwrap();
/// let again = install().unwrap(); // the same recorder, not an error
/// assert!(metrics.render().contains(&format!("{JOINS} 0")));
/// assert!(again.render().contains(&format!("{JOINS} 0")));
/// ```
pub fn install() -> Result<MetricsHandle, InstallError> {
    static INSTALLED: OnceLock<Result<PrometheusHandle, InstallError>> = OnceLock::new();
    INSTALLED
        .get_or_init(install_prometheus)
        .clone()
        .map(|prometheus| MetricsHandle { prometheus })
}

fn install_prometheus() -> Result<PrometheusHandle, InstallError> {
    let prometheus = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(RENDER_SECONDS.into()), &RENDER_BUCKETS)
        .and_then(PrometheusBuilder::install_recorder)
        .map_err(|error| InstallError(format!("installing the metrics recorder: {error}")))?;
    let upkeep = prometheus.clone();
    std::thread::Builder::new()
        .name("liveview-metrics".into())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP_INTERVAL);
            upkeep.run_upkeep();
        })
        .map_err(|error| InstallError(format!("starting the metrics upkeep thread: {error}")))?;
    ::metrics::with_recorder(|recorder| {
        for (key, help) in COUNTERS {
            recorder.describe_counter(key.name_shared(), None, help.into());
            recorder.register_counter(key, &METADATA).increment(0);
        }
        for (key, help) in GAUGES {
            recorder.describe_gauge(key.name_shared(), None, help.into());
            recorder.register_gauge(key, &METADATA).increment(0.0);
        }
        recorder.describe_counter(ERRORS.into(), None, ERRORS_HELP.into());
        for kind in ErrorKind::ALL {
            recorder
                .register_counter(&error_key(kind), &METADATA)
                .increment(0);
        }
        recorder.describe_histogram(RENDER_SECONDS.into(), None, RENDER_HELP.into());
    });
    EVERY_EVENT.get_or_init(|| EveryEvent {
        events: counter(&EVENTS_KEY),
        sent_bytes: counter(&SENT_BYTES_KEY),
        render_seconds: histogram(&RENDER_SECONDS_KEY),
    });
    Ok(prometheus)
}

fn counter(key: &'static Key) -> Counter {
    ::metrics::with_recorder(|recorder| recorder.register_counter(key, &METADATA))
}

fn gauge(key: &'static Key) -> Gauge {
    ::metrics::with_recorder(|recorder| recorder.register_gauge(key, &METADATA))
}

fn histogram(key: &'static Key) -> Histogram {
    ::metrics::with_recorder(|recorder| recorder.register_histogram(key, &METADATA))
}

fn error_key(kind: ErrorKind) -> Key {
    Key::from_parts(ERRORS, vec![Label::from_static_parts(KIND, kind.label())])
}

/// A connected view, counted in [`CONNECTED_VIEWS`] until dropped: hold it for as long as a
/// socket is attached to the view's process.
#[must_use = "the view counts as connected only while this lives"]
#[derive(Debug)]
pub(crate) struct ConnectedView(());

impl Drop for ConnectedView {
    fn drop(&mut self) {
        gauge(&CONNECTED_VIEWS_KEY).decrement(1.0);
    }
}

fn connected() -> ConnectedView {
    gauge(&CONNECTED_VIEWS_KEY).increment(1.0);
    ConnectedView(())
}

/// A join mounted a view: counts the join, and the view as connected while the guard lives.
pub(crate) fn view_joined() -> ConnectedView {
    counter(&JOINS_KEY).increment(1);
    connected()
}

/// A rejoining client took back a disconnected view: counts the resume, and the view as
/// connected again while the guard lives.
pub(crate) fn view_resumed() -> ConnectedView {
    counter(&RESUMED_VIEWS_KEY).increment(1);
    connected()
}

/// A disconnected view's grace period ran out; its process ends.
pub(crate) fn view_expired() {
    counter(&EXPIRED_VIEWS_KEY).increment(1);
}

/// An event is handed to the view.
// Without `install`, these go to whatever recorder the app installed (or none) by key.
pub(crate) fn event() {
    match EVERY_EVENT.get() {
        Some(every_event) => every_event.events.increment(1),
        None => counter(&EVENTS_KEY).increment(1),
    }
}

/// A render, diff and encoding took `took`.
pub(crate) fn rendered(took: Duration) {
    match EVERY_EVENT.get() {
        Some(every_event) => every_event.render_seconds.record(took.as_secs_f64()),
        None => histogram(&RENDER_SECONDS_KEY).record(took.as_secs_f64()),
    }
}

/// A text frame of `bytes` went out.
pub(crate) fn sent(bytes: usize) {
    match EVERY_EVENT.get() {
        Some(every_event) => every_event.sent_bytes.increment(bytes as u64),
        None => counter(&SENT_BYTES_KEY).increment(bytes as u64),
    }
}

/// Something went wrong; `kind` says what. Rare by nature, so the labelled key is built per
/// call.
pub(crate) fn error(kind: ErrorKind) {
    ::metrics::with_recorder(|recorder| recorder.register_counter(&error_key(kind), &METADATA))
        .increment(1);
}

/// A pubsub message found its subscriber's mailbox full.
pub(crate) fn pubsub_queue_full() {
    counter(&PUBSUB_QUEUE_FULL_KEY).increment(1);
}

/// A presence was tracked on this node.
pub(crate) fn presence_tracked() {
    gauge(&PRESENCES_KEY).increment(1.0);
}

/// A presence tracked on this node left.
pub(crate) fn presence_left() {
    gauge(&PRESENCES_KEY).decrement(1.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_has_its_own_label() {
        let labels: std::collections::HashSet<_> =
            ErrorKind::ALL.iter().map(|k| k.label()).collect();
        assert_eq!(labels.len(), ErrorKind::ALL.len());
    }

    #[test]
    fn every_metric_is_listed_with_its_help_once_installed() {
        let text = install().unwrap().render();
        for name in [
            CONNECTED_VIEWS,
            JOINS,
            EVENTS,
            SENT_BYTES,
            ERRORS,
            RESUMED_VIEWS,
            EXPIRED_VIEWS,
            PUBSUB_QUEUE_FULL,
            PRESENCES,
        ] {
            assert!(
                text.contains(&format!("# HELP {name} ")),
                "{name} in\n{text}"
            );
        }
        for kind in ErrorKind::ALL {
            let series = format!("{ERRORS}{{{KIND}=\"{}\"}} ", kind.label());
            assert!(text.contains(&series), "{series} in\n{text}");
        }
    }

    #[test]
    fn renders_land_in_the_render_histogram_buckets() {
        let metrics = install().unwrap();
        rendered(Duration::from_micros(3));
        let text = metrics.render();
        assert!(
            text.contains(&format!("# HELP {RENDER_SECONDS} ")),
            "{text}"
        );
        assert!(
            text.contains(&format!("{RENDER_SECONDS}_bucket{{le=\"0.000005\"}} ")),
            "{text}"
        );
    }
}
