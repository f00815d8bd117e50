//! axum integration: one `Live` serves views at routes, their sockets, and the client.

use std::any::type_name;
use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{RawPathParams, WebSocketUpgrade};
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;
use tracing::Instrument as _;

use crate::endpoint::Endpoint;
use crate::flash::{FLASH_COOKIE, FLASH_TOKEN};
use crate::layout::{default_layout, live_container, script_tag, Page};
use crate::lifecycle::{Crash, Mounted};
use crate::live_session::Route;
use crate::metrics::{self, ErrorKind};
use crate::presence::Presence;
use crate::process;
use crate::pubsub::{LocalPubSub, SharedPubSub};
use crate::session::Signer;
use crate::shutdown::Shutdown;
use crate::socket::Navigation;
use crate::{client, LiveConfig, LiveView, Mailbox, Params, Session};

/// Serves live views: build one at startup, then mount views at routes with
/// [`view`](Self::view) and merge [`client_routes`](Self::client_routes) once.
///
/// A view's route answers `GET` with the full page (usable without JavaScript) and, on the
/// same path, the websocket the client opens to make it live.
///
/// ```
/// # use liveview_core::{maud::{html, Markup}, LiveView, Params, Result, Session, Socket};
/// # struct Counter;
/// # impl LiveView for Counter {
/// #     type Event = ();
/// #     type Info = ();
/// #     async fn mount(_: Params, _: &Session, _: &mut Socket<Self>) -> Result<Self> { Ok(Counter) }
/// #     async fn handle_event(&mut self, _: (), _: &mut Socket<Self>) -> Result<()> { Ok(()) }
/// #     fn render(&self) -> Markup { html! { "hi" } }
/// # }
/// use axum::Router;
/// use liveview_core::{Live, LiveConfig};
///
/// let live = Live::new(LiveConfig::default());
/// let app: Router = Router::new()
///     .route("/counter", live.view::<Counter>())
///     .merge(live.client_routes());
/// ```
///
/// `S` is the router's state type (`()` unless the app uses `Router::with_state`).
pub struct Live<S = ()> {
    endpoint: Arc<Endpoint>,
    state: PhantomData<fn() -> S>,
}

impl<S> Clone for Live<S> {
    fn clone(&self) -> Self {
        Live {
            endpoint: self.endpoint.clone(),
            state: PhantomData,
        }
    }
}

impl<S> std::fmt::Debug for Live<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

impl<S: Clone + Send + Sync + 'static> Live<S> {
    /// A `Live` with the default layout, an empty session, and the pubsub
    /// `config.pubsub` names.
    ///
    /// # Panics
    ///
    /// With [`PubSubConfig::Redis`](crate::PubSubConfig), outside a tokio runtime or with
    /// a URL that [`LiveConfig::from_env`] would have refused: the Redis link runs as a
    /// task, and a node that silently fell back to its own pubsub would split the cluster.
    pub fn new(config: LiveConfig) -> Self {
        let key = config.secret_key.clone().unwrap_or_else(|| {
            tracing::warn!(
                "no LIVEVIEW_SECRET set: signing session tokens with a random key \
                 (fine for development; pages reload after a server restart)"
            );
            rand::random::<[u8; 32]>().to_vec()
        });
        let signer = Signer::new(key, config.token_max_age);
        let pubsub = start_pubsub(&config.pubsub);
        let presence = Presence::with_timeout(pubsub.clone(), config.presence_timeout);
        Live {
            endpoint: Arc::new(Endpoint {
                config,
                signer,
                layout: Arc::new(default_layout),
                session: Arc::new(|_| Session::default()),
                presence,
                pubsub,
                extensions: Arc::default(),
                shutdown: Shutdown::default(),
                resumable: Default::default(),
                routes: Default::default(),
            }),
            state: PhantomData,
        }
    }

    /// Uses `layout` to build the page around every view.
    pub fn with_layout(
        self,
        layout: impl Fn(Page<'_>) -> maud::Markup + Send + Sync + 'static,
    ) -> Self {
        self.change(|endpoint| endpoint.layout = Arc::new(layout))
    }

    /// Builds each page's [`Session`] from its request (cookies, headers); the session is
    /// signed into the page and handed to `mount` both times.
    pub fn with_session(self, session: impl Fn(&Parts) -> Session + Send + Sync + 'static) -> Self {
        self.change(|endpoint| endpoint.session = Arc::new(session))
    }

    fn change(self, f: impl FnOnce(&mut Endpoint)) -> Self {
        let mut endpoint = (*self.endpoint).clone();
        f(&mut endpoint);
        Live {
            endpoint: Arc::new(endpoint),
            state: PhantomData,
        }
    }

    /// Uses `pubsub` (e.g. a Redis backend shared by several nodes) instead of the
    /// in-process default; presence is broadcast (and, across nodes, replicated) through
    /// it too.
    pub fn with_pubsub(self, pubsub: SharedPubSub) -> Self {
        self.change(|endpoint| {
            endpoint.presence =
                Presence::with_timeout(pubsub.clone(), endpoint.config.presence_timeout);
            endpoint.pubsub = pubsub;
        })
    }

    /// Makes `value` available to every view's callbacks through
    /// [`Socket::extension`](crate::Socket::extension), by its type, as axum's `Extension`
    /// does for handlers: the way to give views a database pool or other shared state.
    ///
    /// ```
    /// use liveview_core::{Live, LiveConfig};
    ///
    /// #[derive(Clone)]
    /// struct Greeting(&'static str);
    ///
    /// let live: Live = Live::new(LiveConfig::default()).with_extension(Greeting("hello"));
    /// ```
    pub fn with_extension<T: Clone + Send + Sync + 'static>(self, value: T) -> Self {
        self.change(|endpoint| {
            let mut extensions = (*endpoint.extensions).clone();
            extensions.insert(value);
            endpoint.extensions = Arc::new(extensions);
        })
    }

    /// The pubsub views subscribe through: broadcast on it from handlers and tasks.
    ///
    /// ```
    /// use liveview_core::{Live, LiveConfig};
    ///
    /// let live: Live = Live::new(LiveConfig::default());
    /// live.pubsub().broadcast("users", "changed".to_string());
    /// ```
    pub fn pubsub(&self) -> SharedPubSub {
        self.endpoint.pubsub.clone()
    }

    /// Drains the live views for a clean shutdown: every connected client gets a
    /// "going away" close (1001) and reconnects, to another node where there is one; then
    /// this waits until every view's process has ended, or `grace` has passed. Call it after
    /// the server has stopped accepting connections. Returns how many processes were still
    /// running at the end.
    ///
    /// With a pubsub across nodes it then tells the other nodes this one is gone
    /// ([`Presence::stop`]), so its presences leave their lists at once rather than after
    /// the presence timeout.
    ///
    /// ```no_run
    /// # async fn serve(app: axum::Router, live: liveview_core::Live) -> std::io::Result<()> {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:4000").await?;
    /// axum::serve(listener, app)
    ///     .with_graceful_shutdown(async { let _ = tokio::signal::ctrl_c().await; })
    ///     .await?;
    /// live.shutdown(std::time::Duration::from_secs(5)).await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown(&self, grace: std::time::Duration) -> usize {
        let left = self.endpoint.shutdown.drain(grace).await;
        self.endpoint.presence.stop().await;
        left
    }

    /// The presence registry views track themselves in.
    pub fn presence(&self) -> Presence {
        self.endpoint.presence.clone()
    }

    /// The route handler for view `V`: the page on `GET`, the socket on upgrade.
    pub fn view<V: LiveView>(&self) -> MethodRouter<S> {
        let endpoint = self.endpoint.clone();
        get(
            move |upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
                  path: Result<RawPathParams, RawPathParamsRejection>,
                  parts: Parts| async move {
                let mut path_params = Params::default();
                for (name, value) in path.iter().flat_map(|p| p.iter()) {
                    path_params.insert(name, value);
                }
                match upgrade {
                    Ok(upgrade) => socket::<V>(endpoint, upgrade, &parts, path_params),
                    Err(_) => page::<V>(&endpoint, &parts, path_params).await,
                }
            },
        )
    }

    /// A builder for the routes of this live session: views mounted through it are known
    /// to navigation (`push_patch` with each route's own path parameters, `push_navigate`
    /// between views over the same socket). See [`LiveRoutes`].
    pub fn routes(&self) -> LiveRoutes<S> {
        LiveRoutes {
            live: self.clone(),
            router: Router::new(),
        }
    }

    /// Enters `path` for view `V` in the session's route table.
    fn enter_route<V: LiveView>(&self, path: &str) {
        let route = Route {
            view: type_name::<V>(),
            start: process::start::<V>(),
        };
        self.endpoint.routes.insert(path, route);
    }

    /// The route that serves the client bundle at [`client_path`](Self::client_path).
    pub fn client_routes(&self) -> Router<S> {
        Router::new().route(self.client_path(), get(client::serve))
    }

    /// Where the client bundle is served: `/live/liveview-<hash>.js`.
    pub fn client_path(&self) -> &'static str {
        client::PATH.as_str()
    }
}

/// Builds the router of a live session: each view at its path, plus the client bundle.
///
/// ```
/// # use liveview_core::{maud::{html, Markup}, LiveView, Params, Result, Session, Socket};
/// # struct Users;
/// # impl LiveView for Users {
/// #     type Event = ();
/// #     type Info = ();
/// #     async fn mount(_: Params, _: &Session, _: &mut Socket<Self>) -> Result<Self> { Ok(Users) }
/// #     async fn handle_event(&mut self, _: (), _: &mut Socket<Self>) -> Result<()> { Ok(()) }
/// #     fn render(&self) -> Markup { html! { "users" } }
/// # }
/// # type Counter = Users;
/// use axum::Router;
/// use liveview_core::{Live, LiveConfig};
///
/// let live: Live = Live::new(LiveConfig::default());
/// let app: Router = live
///     .routes()
///     .view::<Counter>("/counter")
///     .view::<Users>("/users")
///     .view::<Users>("/users/{id}")
///     .into_router();
/// ```
#[must_use = "a LiveRoutes does nothing until it becomes a Router (into_router)"]
pub struct LiveRoutes<S = ()> {
    live: Live<S>,
    router: Router<S>,
}

impl<S> std::fmt::Debug for LiveRoutes<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveRoutes").finish_non_exhaustive()
    }
}

impl<S: Clone + Send + Sync + 'static> LiveRoutes<S> {
    /// Serves view `V` at `path` (axum's syntax: `/users/{id}`) and enters the route in the
    /// live session.
    pub fn view<V: LiveView>(mut self, path: &str) -> Self {
        self.live.enter_route::<V>(path);
        self.router = self.router.route(path, self.live.view::<V>());
        self
    }

    /// The routes, with the client bundle's.
    pub fn into_router(self) -> Router<S> {
        self.router.merge(self.live.client_routes())
    }
}

/// The dead render: mount disconnected, render, wrap in the layout with a signed token.
async fn page<V: LiveView>(endpoint: &Endpoint, parts: &Parts, path_params: Params) -> Response {
    let session = (endpoint.session)(parts);
    let mut socket = endpoint.socket::<V>(Mailbox::new(None));
    // A flash a redirect brought along: shown now, and carried to the join by the token.
    let arrived_flash = flash_cookie(parts);
    if let Some(flash) = arrived_flash
        .as_deref()
        .and_then(|token| endpoint.signer.verify(token, FLASH_TOKEN).ok())
    {
        socket.flash = flash.1;
    }
    let rendered = async {
        let mut mounted = Mounted::mount(&session, path_params, &parts.uri, socket).await?;
        let navigation = mounted.socket.navigation.take();
        let html = mounted.render()?;
        let title = mounted.title()?.unwrap_or_default();
        let flash = std::mem::take(&mut mounted.socket.flash);
        Ok::<_, Crash>((navigation, html, title, flash))
    }
    .await;
    let (navigation, html, title, flash) = match rendered {
        Ok(rendered) => rendered,
        Err(crash) => {
            tracing::error!(reason = %crash, view = type_name::<V>(), "dead render failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal server error").into_response();
        }
    };
    if let Some(Navigation::Navigate(url) | Navigation::Redirect(url)) = navigation {
        // Without JavaScript, every navigation is a page load; the flash rides along.
        let flash = (!flash.is_empty()).then(|| {
            endpoint
                .signer
                .sign(FLASH_TOKEN, &Session::default(), &flash)
        });
        let cookie = set_flash_cookie(flash.as_deref());
        return ([(header::SET_COOKIE, cookie)], Redirect::to(&url)).into_response();
    }
    let token = endpoint.signer.sign(type_name::<V>(), &session, &flash);
    let page = Page {
        title: &title,
        head: script_tag(client::PATH.as_str()),
        body: live_container(&token, html),
    };
    // A page whose clicks change state must not be framed by another site (clickjacking).
    let mut response = (
        [
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
        ],
        Html((endpoint.layout)(page).into_string()),
    )
        .into_response();
    if arrived_flash.is_some() {
        // Shown once: the next page load must not show it again.
        if let Ok(clear) = set_flash_cookie(None).parse() {
            response.headers_mut().insert(header::SET_COOKIE, clear);
        }
    }
    response
}

/// The flash token in the request's `lv_flash` cookie, if any.
fn flash_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .find_map(|cookie| {
            let (name, value) = cookie.trim().split_once('=')?;
            (name == FLASH_COOKIE).then(|| value.to_owned())
        })
}

/// The `Set-Cookie` value that carries a flash token to the next page, or clears it.
fn set_flash_cookie(token: Option<&str>) -> String {
    match token {
        Some(token) => {
            format!("{FLASH_COOKIE}={token}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax")
        }
        None => format!("{FLASH_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
    }
}

/// Accepts the websocket after the origin check; the process takes it from there.
fn socket<V: LiveView>(
    endpoint: Arc<Endpoint>,
    upgrade: WebSocketUpgrade,
    parts: &Parts,
    path_params: Params,
) -> Response {
    if let Err(reason) = check_origin(&endpoint.config.allowed_origins, parts) {
        tracing::warn!(%reason, view = type_name::<V>(), "websocket refused");
        metrics::error(ErrorKind::RefusedOrigin);
        return (StatusCode::FORBIDDEN, reason).into_response();
    }
    // The transport's own limit is a backstop; frames between the configured limit and
    // this one get a clear error frame from the process.
    // tungstenite allocates and zero-fills its whole read buffer per socket, so its size is
    // paid by every idle view; client frames are small, and a bigger one grows the buffer.
    // 512 bytes instead of 4 KiB took an idle counter view from 12.7 to 7.6 KiB of RSS
    // (docs/benchmarks.md).
    upgrade
        // Both limits: a frame's header announces its length, so the frame limit refuses a
        // big frame before any of it is buffered (tungstenite's default is 16 MiB).
        .max_message_size(endpoint.config.max_frame_bytes.saturating_mul(4))
        .max_frame_size(endpoint.config.max_frame_bytes.saturating_mul(4))
        .read_buffer_size(512)
        .write_buffer_size(0)
        .on_upgrade(move |ws| {
            // Every log line of this connection carries the view and a connection id. The
            // span is at ERROR level so that it is on whenever any of the process's lines
            // are: an INFO span would vanish under `RUST_LOG=warn`, taking the view and id
            // off exactly the warnings an operator needs to follow.
            let span =
                tracing::error_span!("view", view = type_name::<V>(), id = next_connection_id());
            process::run::<V>(ws, endpoint, path_params).instrument(span)
        })
}

/// A number for each connection, to follow one connection's log lines.
fn next_connection_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Browsers always send `Origin` on websockets; it must name this host or an allowed
/// origin, which stops other sites from driving a user's views (CSWSH). Non-browser
/// clients that send none are let through: they cannot carry a victim's cookies.
fn check_origin(allowed: &[String], parts: &Parts) -> Result<(), String> {
    let Some(origin) = parts.headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or_default();
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    // Only a page served over http(s) by this host is the same host: `null`, `file://` or
    // an extension's origin with a matching authority is not.
    let same_host = origin.split_once("://").is_some_and(|(scheme, authority)| {
        matches!(scheme, "http" | "https") && !host.is_empty() && authority == host
    });
    if same_host || allowed.iter().any(|a| a == origin) {
        Ok(())
    } else {
        Err(format!("origin {origin:?} is not allowed"))
    }
}

/// The pubsub backend `config` names.
fn start_pubsub(config: &crate::PubSubConfig) -> SharedPubSub {
    match config {
        crate::PubSubConfig::Local => Arc::new(LocalPubSub::new()),
        #[cfg(feature = "redis")]
        crate::PubSubConfig::Redis(url) => match crate::pubsub::RedisPubSub::start(url) {
            Ok(pubsub) => Arc::new(pubsub),
            Err(error) => panic!("cannot start the Redis pubsub: {error}"),
        },
    }
}
