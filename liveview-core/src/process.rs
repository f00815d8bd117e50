//! The process: one tokio task per connected view, owning its state.
//!
//! Everything the view can receive (socket frames, mailbox messages) is read by one
//! `select!` loop, so the state needs no locks. Each callback is followed by one render,
//! one diff against what the client holds, and one frame. Mailbox messages that are
//! already waiting are handled together and rendered once (coalescing).
//!
//! A socket that drops without a close does not end the view: the process parks for the
//! grace period with its mailbox still collecting, and a rejoin carrying the view's resume
//! token takes it over (`resume.rs`): the state is kept and one full render is sent.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use axum::http::Uri;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::endpoint::{Endpoint, Start};
use crate::flash::{CLEAR_FLASH, FLASH_TOKEN};
use crate::lifecycle::{parse_url, Crash, Mounted};
use crate::live_session::Handoff;
use crate::metrics::{self, ErrorKind};
use crate::protocol::{self, ClientFrame, ReplyMeta};
use crate::rate_limit::RateLimit;
use crate::render::{diff, full, Rendered};
use crate::resume::{Takeover, Ticket};
use crate::shutdown::Running;
use crate::socket::Navigation;
use crate::{Flash, LiveEvent, LiveView, Mailbox, Params, Session};

/// Most messages handled before rendering, so a flood cannot starve the socket.
const COALESCE_LIMIT: usize = 64;
/// Most consecutive `push_patch`es followed within one callback.
const PATCH_LIMIT: usize = 8;

/// Bad frames in a row after which the connection is closed (1008): a client that keeps
/// sending them is broken or hostile, and each one costs a reply and a log line.
const BAD_FRAME_LIMIT: u32 = 20;
/// The most of a client's text that goes into a log line.
const LOGGED_CHARS: usize = 120;

/// Close codes (RFC 6455).
const GOING_AWAY: u16 = 1001;
const PROTOCOL_ERROR: u16 = 1002;
const INVALID_DATA: u16 = 1007;
const POLICY: u16 = 1008;
const TOO_BIG: u16 = 1009;
const INTERNAL: u16 = 1011;

/// The connection is over, and how: that decides whether the view may be resumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Disconnected {
    /// The socket failed or vanished without a close (a network change, a laptop lid): the
    /// client will reconnect, so the view parks for the grace period.
    Lost,
    /// Closed on purpose, by the client or by the process (crash, policy, shutdown): the
    /// view ends.
    Closed,
}

/// Why a process stopped serving its current socket.
enum Detached {
    /// For good: the view ends.
    Ended,
    /// The socket was lost: park and wait for a rejoin.
    Lost,
    /// A rejoin claimed the view while its old socket still looked alive.
    TakenOver(Box<Takeover>),
    /// The client navigated to another view of the live session over this socket.
    Navigated(Box<NavigateTo>),
}

/// A navigate join: the view to start, its route parameters, and the join frame.
struct NavigateTo {
    start: Start,
    path_params: Params,
    reference: u64,
    url: String,
}

/// Where a URL leads, seen from the view at hand.
enum Destination {
    /// One of this view's routes, with its path parameters.
    ThisView(Params),
    /// Another view of the live session.
    OtherView,
    /// No route of the live session (or the app mounts views without `Live::routes`).
    Unrouted,
}

impl From<Disconnected> for Detached {
    fn from(disconnected: Disconnected) -> Self {
        match disconnected {
            Disconnected::Lost => Detached::Lost,
            Disconnected::Closed => Detached::Ended,
        }
    }
}

/// A join frame's contents.
struct Join {
    reference: u64,
    token: String,
    url: String,
    resume: Option<String>,
}

/// Runs one connection from the first frame to the close, or hands it to the parked
/// process its join resumes.
pub(crate) async fn run<V: LiveView>(ws: WebSocket, endpoint: Arc<Endpoint>, path_params: Params) {
    let running = endpoint.shutdown.register();
    let mut ws = Wire::new(ws, &endpoint);
    let Some(join) = await_join(&mut ws, &endpoint).await else {
        return;
    };
    let view = std::any::type_name::<V>();
    let (session, flash) = match endpoint.signer.verify(&join.token, view) {
        Ok(verified) => verified,
        Err(error) => {
            tracing::warn!(%error, "join refused");
            metrics::error(ErrorKind::RefusedJoin);
            let refusal = ReplyMeta {
                reload: true,
                ..ReplyMeta::fatal(error.to_string())
            };
            let _ = send(&mut ws, protocol::reply(join.reference, None, &refusal)).await;
            close(&mut ws, POLICY, "invalid session token").await;
            return;
        }
    };
    let claimed = join
        .resume
        .as_deref()
        .and_then(|token| endpoint.resumable.claim(token, view, &join.token));
    if let Some(process) = claimed {
        let takeover = Takeover {
            socket: ws.socket,
            reference: join.reference,
            url: join.url.clone(),
        };
        match process.try_send(takeover) {
            Ok(()) => return,
            // The process ended (or another rejoin got there first): mount afresh.
            Err(refused) => ws = Wire::new(refused.into_inner().socket, &endpoint),
        }
    }
    let handoff = Handoff {
        socket: ws.socket,
        running,
        session,
        path_params,
        reference: join.reference,
        url: join.url,
        flash,
    };
    // Each view runs until the connection ends or the client navigates to the next one.
    let mut next = serve_view::<V>(endpoint.clone(), handoff, Some(join.token)).await;
    while let Some((start, handoff)) = next {
        next = (start.0)(endpoint.clone(), handoff).await;
    }
}

/// How the live session starts view `V` after a navigation.
pub(crate) fn start<V: LiveView>() -> Start {
    Start(|endpoint, handoff| Box::pin(serve_view::<V>(endpoint, handoff, None)))
}

/// Mounts `V` on the handed-over socket and serves it; returns the next view's hand-over
/// if the client navigates on. `page_token` is the token the page's container carries;
/// without one (a view reached by navigation), the view signs its own for the client.
async fn serve_view<V: LiveView>(
    endpoint: Arc<Endpoint>,
    handoff: Handoff,
    page_token: Option<String>,
) -> Option<(Start, Handoff)> {
    let Handoff {
        socket,
        running,
        session,
        path_params,
        reference,
        url,
        flash,
    } = handoff;
    let mut ws = Wire::new(socket, &endpoint);
    let uri = parse_url(&url).unwrap_or_else(|| Uri::from_static("/"));
    let (sender, mailbox) = mpsc::channel(endpoint.config.mailbox_capacity);
    let mut socket = endpoint.socket::<V>(Mailbox::new(Some(sender)));
    socket.flash = flash;
    socket.flash.arrived();
    let mounted = match Mounted::mount(&session, path_params, &uri, socket).await {
        Ok(mounted) => mounted,
        Err(crash) => {
            crashed(&mut ws, reference, &crash).await;
            return None;
        }
    };
    let view = std::any::type_name::<V>();
    let (token, navigated) = match page_token {
        Some(token) => (token, false),
        None => (
            endpoint.signer.sign(view, &session, &Flash::default()),
            true,
        ),
    };
    let (ticket, takeovers) = endpoint.resumable.register(view, &token);
    let rate = RateLimit::new(
        endpoint.config.events_per_second,
        endpoint.config.event_burst,
    );
    let process = Process {
        ws,
        endpoint,
        mounted,
        rendered: Rendered::new(String::new()),
        title: None,
        url: location(&uri),
        rate,
        bad_frames: 0,
        ticket,
        session,
        new_page_token: navigated.then_some(token),
    };
    process.serve(reference, mailbox, takeovers, running).await
}

/// Waits for the join frame, answering anything else with an error.
async fn await_join(ws: &mut Wire, endpoint: &Endpoint) -> Option<Join> {
    let deadline = tokio::time::Instant::now() + endpoint.config.join_timeout;
    loop {
        let message = match tokio::time::timeout_at(deadline, ws.socket.recv()).await {
            Ok(Some(Ok(message))) => message,
            Ok(Some(Err(error))) => {
                let _ = read_failed(ws, &error).await;
                return None;
            }
            Ok(None) => return None,
            Err(_) => {
                metrics::error(ErrorKind::JoinTimeout);
                close(ws, POLICY, "no join frame in time").await;
                return None;
            }
        };
        let text = match frame_text(ws, endpoint, message).await {
            Incoming::Text(text) => text,
            Incoming::Skip => continue,
            Incoming::Done(_) => return None,
        };
        match protocol::parse(text.as_str()) {
            Ok((
                reference,
                ClientFrame::Join {
                    session,
                    url,
                    resume,
                },
            )) => {
                return Some(Join {
                    reference,
                    token: session,
                    url,
                    resume,
                })
            }
            Ok((reference, _)) => {
                metrics::error(ErrorKind::BadFrame);
                let error = ReplyMeta::error("not joined: the first frame must be join");
                send(ws, protocol::reply(reference, None, &error))
                    .await
                    .ok()?;
            }
            Err(error) => {
                metrics::error(ErrorKind::BadFrame);
                let reply = protocol::reply(error.reference, None, &ReplyMeta::error(error.reason));
                send(ws, reply).await.ok()?;
            }
        }
    }
}

/// What a websocket message means to the process.
enum Incoming {
    /// A text frame within the size limit, borrowed from the transport's buffer.
    Text(Utf8Bytes),
    /// Answered or ignored (binary, ping, pong): wait for the next one.
    Skip,
    /// The socket is closed, or was closed for an oversized frame.
    Done(Disconnected),
}

async fn frame_text(ws: &mut Wire, endpoint: &Endpoint, message: Message) -> Incoming {
    match message {
        Message::Text(text) if text.len() > endpoint.config.max_frame_bytes => {
            let reason = format!(
                "frame too large: {} bytes > {} allowed",
                text.len(),
                endpoint.config.max_frame_bytes
            );
            tracing::warn!("{reason}");
            metrics::error(ErrorKind::FrameTooLarge);
            let _ = send(ws, protocol::reply(0, None, &ReplyMeta::error(reason))).await;
            close(ws, TOO_BIG, "frame too large").await;
            Incoming::Done(Disconnected::Closed)
        }
        Message::Text(text) => Incoming::Text(text),
        Message::Binary(_) => {
            metrics::error(ErrorKind::BadFrame);
            let error = ReplyMeta::error("malformed frame: binary frames are not supported");
            match send(ws, protocol::reply(0, None, &error)).await {
                Ok(()) => Incoming::Skip,
                Err(disconnected) => Incoming::Done(disconnected),
            }
        }
        // A client that closes to reconnect (a missed heartbeat, a diff it could not
        // apply) comes straight back: keep the view for it.
        Message::Close(Some(frame)) if frame.code == protocol::close_code::RECONNECTING => {
            Incoming::Done(Disconnected::Lost)
        }
        Message::Close(_) => Incoming::Done(Disconnected::Closed),
        Message::Ping(_) | Message::Pong(_) => Incoming::Skip,
    }
}

/// A read error ends the connection; a frame over the transport's hard limit gets a reason.
/// Only a plain network failure counts as lost (resumable).
async fn read_failed(ws: &mut Wire, error: &axum::Error) -> Disconnected {
    let text = error.to_string();
    if text.contains("too long") || text.contains("Space limit") {
        tracing::warn!(%error, "frame too large");
        metrics::error(ErrorKind::FrameTooLarge);
        let _ = send(
            ws,
            protocol::reply(
                0,
                None,
                &ReplyMeta::error(format!("frame too large: {text}")),
            ),
        )
        .await;
        close(ws, TOO_BIG, "frame too large").await;
    } else if text.contains("without closing handshake") {
        // The TCP connection ended under the websocket: a network loss, not a goodbye.
        tracing::debug!("socket lost without a close");
        return Disconnected::Lost;
    } else if text.contains("UTF-8") {
        tracing::warn!("closing: a text frame that is not UTF-8");
        metrics::error(ErrorKind::WebsocketViolation);
        close(ws, INVALID_DATA, "text frame is not valid UTF-8").await;
    } else if text.contains("protocol error") {
        tracing::warn!(error = %for_log(&text), "closing: websocket protocol violation");
        metrics::error(ErrorKind::WebsocketViolation);
        close(ws, PROTOCOL_ERROR, "websocket protocol violation").await;
    } else {
        tracing::debug!(%error, "socket read failed");
        return Disconnected::Lost;
    }
    Disconnected::Closed
}

struct Process<V: LiveView> {
    ws: Wire,
    endpoint: Arc<Endpoint>,
    mounted: Mounted<V>,
    /// What the client holds.
    rendered: Rendered,
    title: Option<String>,
    /// The path and query the view is at, to tell whether a resuming client is elsewhere.
    url: String,
    rate: RateLimit,
    /// Frames that could not be decoded since the last good one.
    bad_frames: u32,
    /// The view's entry among the resumable processes.
    ticket: Ticket,
    /// The connection's verified session, for the next view after a navigation.
    session: Session,
    /// For a view reached by navigation: its own session token, sent in each join reply so
    /// the page can rejoin this view after a reconnect.
    new_page_token: Option<String>,
}

impl<V: LiveView> Process<V> {
    /// Serves the view over its socket and, after a loss, over each socket that resumes it;
    /// returns the hand-over to the next view when the client navigates on.
    async fn serve(
        mut self,
        join_ref: u64,
        mut mailbox: mpsc::Receiver<V::Info>,
        mut takeovers: mpsc::Receiver<Takeover>,
        mut running: Running,
    ) -> Option<(Start, Handoff)> {
        let mut reference = join_ref;
        // The connected-views gauge counts views with a socket: not parked ones.
        let mut connected = metrics::view_joined();
        loop {
            let detached = self
                .attached(reference, &mut mailbox, &mut takeovers, &mut running)
                .await;
            drop(connected);
            let takeover = match detached {
                Detached::Ended => return None,
                Detached::Navigated(to) => return Some(self.hand_over(*to, running)),
                Detached::TakenOver(takeover) => {
                    close(&mut self.ws, GOING_AWAY, "resumed on another connection").await;
                    *takeover
                }
                Detached::Lost => match self.park(&mut takeovers, &mut running).await {
                    Some(takeover) => takeover,
                    None => return None,
                },
            };
            connected = metrics::view_resumed();
            self.ws = Wire::new(takeover.socket, &self.endpoint);
            reference = takeover.reference;
            if let Err(crash) = self.catch_up(&takeover.url, &mut mailbox).await {
                crashed(&mut self.ws, reference, &crash).await;
                return None;
            }
        }
    }

    /// Ends this view and gives the next one what it needs: the socket, the session, and
    /// the flash (a "saved" notice put just before a `push_navigate` shows on arrival).
    fn hand_over(mut self, to: NavigateTo, running: Running) -> (Start, Handoff) {
        let flash = std::mem::take(&mut self.mounted.socket.flash);
        let handoff = Handoff {
            socket: self.ws.socket,
            running,
            session: self.session,
            path_params: to.path_params,
            reference: to.reference,
            url: to.url,
            flash,
        };
        (to.start, handoff)
    }

    /// Where `uri` leads from this view.
    fn destination(&self, uri: &Uri) -> Destination {
        match self.endpoint.routes.find(uri) {
            Some((route, params)) if route.view == std::any::type_name::<V>() => {
                Destination::ThisView(params)
            }
            Some(_) => Destination::OtherView,
            None => Destination::Unrouted,
        }
    }

    /// Serves the current socket: sends the join reply (the whole view), then reads frames
    /// and mailbox messages until the socket is gone.
    async fn attached(
        &mut self,
        join_ref: u64,
        mailbox: &mut mpsc::Receiver<V::Info>,
        takeovers: &mut mpsc::Receiver<Takeover>,
        running: &mut Running,
    ) -> Detached {
        // The join reply carries every fragment whole; from then on only diffs travel.
        if let Err(disconnected) = self.after_callback(join_ref, true).await {
            return disconnected.into();
        }
        if *running.signal.borrow_and_update() {
            // Joined while the server was already draining.
            close(&mut self.ws, GOING_AWAY, "server shutting down").await;
            return Detached::Ended;
        }
        let idle_timeout = self.endpoint.config.idle_timeout;
        let idle = tokio::time::sleep(idle_timeout);
        tokio::pin!(idle);
        // Moving the timer on every frame would cost a timer-wheel update per event; the
        // time of the last frame is kept instead, and checked when the timer fires.
        let mut last_frame = tokio::time::Instant::now();
        // The flash timer runs while a message shows, set for the oldest one.
        let flash_timeout = self.endpoint.config.flash_timeout;
        let flash_timer = tokio::time::sleep(idle_timeout);
        tokio::pin!(flash_timer);
        loop {
            let flash_due = match self.mounted.socket.flash.next_expiry(flash_timeout) {
                Some(due) if !flash_timeout.is_zero() => {
                    let due = tokio::time::Instant::from_std(due);
                    if flash_timer.deadline() != due {
                        flash_timer.as_mut().reset(due);
                    }
                    true
                }
                _ => false,
            };
            tokio::select! {
                frame = self.ws.socket.recv() => {
                    last_frame = tokio::time::Instant::now();
                    let message = match frame {
                        Some(Ok(message)) => message,
                        Some(Err(error)) => return read_failed(&mut self.ws, &error).await.into(),
                        None => return Detached::Lost,
                    };
                    match frame_text(&mut self.ws, &self.endpoint, message).await {
                        Incoming::Text(text) => {
                            if let Err(detached) = self.handle_frame(text.as_str()).await {
                                return detached;
                            }
                        }
                        Incoming::Skip => {}
                        Incoming::Done(disconnected) => return disconnected.into(),
                    }
                }
                Some(msg) = mailbox.recv() => {
                    if let Err(crash) = self.handle_messages(msg, mailbox).await {
                        crashed(&mut self.ws, 0, &crash).await;
                        return Detached::Ended;
                    }
                    if let Err(disconnected) = self.after_callback(0, false).await {
                        return disconnected.into();
                    }
                }
                () = &mut flash_timer, if flash_due => {
                    let now = std::time::Instant::now();
                    if self.mounted.socket.flash.expire(flash_timeout, now) {
                        if let Err(disconnected) = self.after_callback(0, false).await {
                            return disconnected.into();
                        }
                    }
                }
                Some(takeover) = takeovers.recv() => return Detached::TakenOver(Box::new(takeover)),
                _ = running.signal.changed() => {
                    close(&mut self.ws, GOING_AWAY, "server shutting down").await;
                    return Detached::Ended;
                }
                () = &mut idle => {
                    let deadline = last_frame + idle_timeout;
                    if deadline > tokio::time::Instant::now() {
                        idle.as_mut().reset(deadline);
                        continue;
                    }
                    // No heartbeat for this long: the network is gone, not the client's
                    // wish to stay, so the view stays resumable.
                    metrics::error(ErrorKind::IdleTimeout);
                    close(&mut self.ws, GOING_AWAY, "idle timeout: no heartbeat").await;
                    return Detached::Lost;
                }
            }
        }
    }

    /// Handles `first` and the messages already waiting behind it (at most
    /// [`COALESCE_LIMIT`]), then tells the view what its full mailbox lost, if anything.
    async fn handle_messages(
        &mut self,
        first: V::Info,
        mailbox: &mut mpsc::Receiver<V::Info>,
    ) -> Result<(), Crash> {
        let mut pending = Some(first);
        let mut handled = 0;
        while let Some(msg) = pending.take() {
            self.mounted.handle_info(msg).await?;
            handled += 1;
            if handled < COALESCE_LIMIT {
                pending = mailbox.try_recv().ok();
            }
        }
        if let Some(lagged) = self.mounted.socket.lag.take() {
            self.mounted.handle_lagged(lagged).await?;
        }
        Ok(())
    }

    /// Waits, socketless, for a rejoin to claim the view, for at most the grace period.
    /// The mailbox is not read meanwhile: it keeps collecting (bounded by its capacity;
    /// what overflows is reported through `handle_lagged` on resume).
    async fn park(
        &mut self,
        takeovers: &mut mpsc::Receiver<Takeover>,
        running: &mut Running,
    ) -> Option<Takeover> {
        let config = &self.endpoint.config;
        if config.resume_grace.is_zero() || *running.signal.borrow() {
            return None;
        }
        let Some(_place) = self.endpoint.resumable.park(config.max_parked_views) else {
            tracing::warn!(
                limit = config.max_parked_views,
                "socket lost and too many views parked already: the view ends"
            );
            return None;
        };
        tracing::debug!(grace = ?config.resume_grace, "socket lost: the view waits to be resumed");
        tokio::select! {
            Some(takeover) = takeovers.recv() => {
                tracing::debug!("view resumed");
                Some(takeover)
            }
            () = tokio::time::sleep(config.resume_grace) => {
                tracing::debug!("resume grace period over: the view ends");
                metrics::view_expired();
                None
            }
            _ = running.signal.changed() => None,
        }
    }

    /// A page load elsewhere: the flash goes along, signed, for the next page to show.
    fn redirect(&self, url: String, meta: &mut ReplyMeta) {
        let flash = &self.mounted.socket.flash;
        if !flash.is_empty() {
            let signer = &self.endpoint.signer;
            meta.flash = Some(signer.sign(FLASH_TOKEN, &Session::default(), flash));
        }
        meta.redirect = Some(url);
    }

    /// Runs `handle_params` for a patch the view asked for, and tells the client.
    async fn patch(
        &mut self,
        uri: Uri,
        url: String,
        replace: bool,
        meta: &mut ReplyMeta,
    ) -> Result<(), Crash> {
        self.url = location(&uri);
        self.mounted.handle_params(&uri).await?;
        meta.patch = Some(url);
        meta.replace = replace;
        Ok(())
    }

    /// Before a resumed client gets its join reply: the messages that arrived while it was
    /// away, and its URL if it moved meanwhile. The reply is then a full render, as after a
    /// mount, since the client starts from an empty fragment store.
    async fn catch_up(
        &mut self,
        url: &str,
        mailbox: &mut mpsc::Receiver<V::Info>,
    ) -> Result<(), Crash> {
        while let Ok(msg) = mailbox.try_recv() {
            self.handle_messages(msg, mailbox).await?;
        }
        if let Some(uri) = parse_url(url).filter(|uri| location(uri) != self.url) {
            self.url = location(&uri);
            self.mounted.handle_params(&uri).await?;
        }
        self.title = None;
        Ok(())
    }

    /// Handles one client frame. `Err` says the view stops serving this socket.
    async fn handle_frame(&mut self, text: &str) -> Result<(), Detached> {
        let (reference, frame) = match protocol::parse(text) {
            Ok(parsed) => {
                self.bad_frames = 0;
                parsed
            }
            Err(error) => {
                tracing::warn!(reason = %for_log(&error.reason), "bad frame");
                metrics::error(ErrorKind::BadFrame);
                self.bad_frames += 1;
                if self.bad_frames > BAD_FRAME_LIMIT {
                    tracing::warn!("closing a connection that keeps sending bad frames");
                    metrics::error(ErrorKind::TooManyBadFrames);
                    close(&mut self.ws, POLICY, "too many bad frames").await;
                    return Err(Detached::Ended);
                }
                return Ok(self.refuse(error.reference, error.reason).await?);
            }
        };
        let answered = match frame {
            ClientFrame::Heartbeat => {
                let reply = protocol::reply(reference, None, &ReplyMeta::default());
                send(&mut self.ws, reply).await
            }
            ClientFrame::Join { url, .. } => return self.navigate_join(reference, url).await,
            ClientFrame::Nav { url } => self.nav(reference, url).await,
            ClientFrame::Event { name, value } => self.event(reference, name, value).await,
        };
        Ok(answered?)
    }

    /// A join on a joined socket: the client navigates to another view of the live session
    /// (or this one afresh). A URL outside the session is left with a full page load.
    async fn navigate_join(&mut self, reference: u64, url: String) -> Result<(), Detached> {
        // Mounting a view is the costliest thing a client can ask for: it counts.
        if !self.rate.allow(Instant::now()) {
            return Ok(self.rate_limited(reference).await?);
        }
        let found = parse_url(&url).and_then(|uri| self.endpoint.routes.find(&uri));
        let Some((route, path_params)) = found else {
            let leave = ReplyMeta {
                redirect: Some(url),
                ..ReplyMeta::default()
            };
            return Ok(send(&mut self.ws, protocol::reply(reference, None, &leave)).await?);
        };
        Err(Detached::Navigated(Box::new(NavigateTo {
            start: route.start,
            path_params,
            reference,
            url,
        })))
    }

    /// The URL changed in the browser (a patch link, back or forward).
    async fn nav(&mut self, reference: u64, url: String) -> Result<(), Disconnected> {
        // A nav runs handle_params, a render and a diff: it counts like an event.
        if !self.rate.allow(Instant::now()) {
            return self.rate_limited(reference).await;
        }
        let Some(uri) = parse_url(&url) else {
            metrics::error(ErrorKind::BadEvent);
            return self
                .refuse(reference, format!("nav: invalid url {url:?}"))
                .await;
        };
        match self.destination(&uri) {
            Destination::OtherView => {
                // Back or forward to another view's page: the client joins it.
                let go = ReplyMeta {
                    navigate: Some(url),
                    ..ReplyMeta::default()
                };
                return send(&mut self.ws, protocol::reply(reference, None, &go)).await;
            }
            Destination::ThisView(path_params) => self.mounted.set_path_params(path_params),
            Destination::Unrouted => {}
        }
        self.url = location(&uri);
        let outcome = self.mounted.handle_params(&uri).await;
        self.after(reference, outcome).await
    }

    /// A user event from a binding.
    async fn event(
        &mut self,
        reference: u64,
        name: String,
        value: Value,
    ) -> Result<(), Disconnected> {
        if !self.rate.allow(Instant::now()) {
            return self.rate_limited(reference).await;
        }
        if name == CLEAR_FLASH {
            let kind = value.get("kind").and_then(Value::as_str);
            self.mounted.socket.clear_flash(kind);
            return self.after_callback(reference, false).await;
        }
        let event = match V::Event::decode(&name, value) {
            Ok(event) => event,
            Err(error) => {
                tracing::warn!(error = %for_log(&error.to_string()), "event refused");
                metrics::error(ErrorKind::BadEvent);
                return self.refuse(reference, error.to_string()).await;
            }
        };
        metrics::event();
        let outcome = self.mounted.handle_event(event).await;
        self.after(reference, outcome).await
    }

    /// After a callback: the render and reply when it succeeded, the crash when it did not.
    async fn after(
        &mut self,
        reference: u64,
        outcome: Result<(), Crash>,
    ) -> Result<(), Disconnected> {
        match outcome {
            Ok(()) => self.after_callback(reference, false).await,
            Err(crash) => {
                crashed(&mut self.ws, reference, &crash).await;
                Err(Disconnected::Closed)
            }
        }
    }

    async fn rate_limited(&mut self, reference: u64) -> Result<(), Disconnected> {
        metrics::error(ErrorKind::RateLimited);
        let reason = format!(
            "rate limited: more than {} events per second",
            self.endpoint.config.events_per_second
        );
        self.refuse(reference, reason).await
    }

    async fn refuse(&mut self, reference: u64, reason: String) -> Result<(), Disconnected> {
        send(
            &mut self.ws,
            protocol::reply(reference, None, &ReplyMeta::error(reason)),
        )
        .await
    }

    /// Applies the effects a callback asked for, renders, diffs and sends the frame.
    async fn after_callback(&mut self, reference: u64, join: bool) -> Result<(), Disconnected> {
        match self.effects_and_render(join).await {
            // A pushed update (ref 0) that carries nothing is not sent.
            Ok(frame) if reference == 0 && frame.is_empty() => Ok(()),
            Ok(frame) => send(&mut self.ws, frame.into_reply(reference)).await,
            Err(crash) => {
                crashed(&mut self.ws, reference, &crash).await;
                Err(Disconnected::Closed)
            }
        }
    }

    /// Follows the navigation the callback asked for, renders and diffs.
    async fn effects_and_render(&mut self, join: bool) -> Result<Outgoing, Crash> {
        let mut meta = ReplyMeta::default();
        for _ in 0..PATCH_LIMIT {
            match self.mounted.socket.navigation.take() {
                Some(Navigation::Patch { url, replace }) => {
                    let uri = parse_url(&url).unwrap_or_else(|| Uri::from_static("/"));
                    match self.destination(&uri) {
                        // A patch to another view's route is a navigation.
                        Destination::OtherView => meta.navigate = Some(url),
                        Destination::ThisView(path_params) => {
                            self.mounted.set_path_params(path_params);
                            self.patch(uri, url, replace, &mut meta).await?;
                        }
                        Destination::Unrouted => self.patch(uri, url, replace, &mut meta).await?,
                    }
                }
                Some(Navigation::Navigate(url)) => {
                    let routed = parse_url(&url).is_some_and(|uri| {
                        !matches!(self.destination(&uri), Destination::Unrouted)
                    });
                    // The client joins a view of the session over this socket; anything
                    // else is a page load.
                    if routed {
                        meta.navigate = Some(url);
                    } else {
                        self.redirect(url, &mut meta);
                    }
                }
                Some(Navigation::Redirect(url)) => self.redirect(url, &mut meta),
                None => break,
            }
        }
        meta.events = std::mem::take(&mut self.mounted.socket.events);
        if join {
            meta.resume = self.ticket.new_token();
            meta.session.clone_from(&self.new_page_token);
        }
        let started = Instant::now();
        let title = self.mounted.title()?;
        if title != self.title {
            meta.title.clone_from(&title);
            self.title = title;
        }
        let (rendered, delta) = self.rendered.following(self.mounted.render()?);
        let changes = if join {
            full(&rendered)
        } else {
            diff(&self.rendered, &rendered, &delta)
        };
        // The client forgets stream items once merged; so does the process (§4.5).
        self.rendered = rendered.without_stream_items().unwrap_or(rendered);
        metrics::rendered(started.elapsed());
        Ok(Outgoing { changes, meta })
    }
}

/// A reply about to be written.
struct Outgoing {
    changes: crate::render::Diff,
    meta: ReplyMeta,
}

impl Outgoing {
    fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.meta.is_empty()
    }

    fn into_reply(self, reference: u64) -> String {
        protocol::reply(reference, Some(&self.changes), &self.meta)
    }
}

/// Ends the view after a failed callback: the client is told (without internals) and
/// rejoins with a fresh mount; other connections are untouched.
async fn crashed(ws: &mut Wire, reference: u64, crash: &Crash) {
    tracing::error!(reason = %crash, "view crashed");
    metrics::error(ErrorKind::Crash);
    let fatal = ReplyMeta::fatal("the view crashed; rejoining");
    let _ = send(ws, protocol::reply(reference, None, &fatal)).await;
    close(ws, INTERNAL, "view crashed").await;
}

/// The websocket, with the time a write may take: a client that stops reading must not hold
/// its process (and its memory) forever, so a write that cannot finish in time ends the
/// connection.
struct Wire {
    socket: WebSocket,
    write_timeout: std::time::Duration,
}

impl Wire {
    fn new(socket: WebSocket, endpoint: &Endpoint) -> Self {
        Wire {
            socket,
            write_timeout: endpoint.config.write_timeout,
        }
    }
}

async fn send(ws: &mut Wire, text: String) -> Result<(), Disconnected> {
    let bytes = text.len();
    match tokio::time::timeout(ws.write_timeout, ws.socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => {
            metrics::sent(bytes);
            Ok(())
        }
        Ok(Err(_)) => Err(Disconnected::Lost),
        Err(_) => {
            tracing::warn!("closing a connection that stopped reading (write timeout)");
            metrics::error(ErrorKind::WriteTimeout);
            Err(Disconnected::Lost)
        }
    }
}

async fn close(ws: &mut Wire, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(
        ws.write_timeout,
        ws.socket.send(Message::Close(Some(frame))),
    )
    .await;
}

/// The path and query of a URL: where a view is, whatever host the client used.
fn location(uri: &Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned())
}

/// Client-controlled text as it goes into the log: at most [`LOGGED_CHARS`] characters, so
/// a client cannot fill the log with 64 KiB event names.
fn for_log(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(LOGGED_CHARS) {
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], text.len()).into(),
        None => text.into(),
    }
}
