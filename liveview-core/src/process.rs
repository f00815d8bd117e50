//! The process: one tokio task per connected view, owning its state.
//!
//! Everything the view can receive (socket frames, mailbox messages) is read by one
//! `select!` loop, so the state needs no locks. Each callback is followed by one render,
//! one diff against what the client holds, and one frame. Mailbox messages that are
//! already waiting are handled together and rendered once (coalescing).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use axum::http::Uri;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::endpoint::Endpoint;
use crate::flash::CLEAR_FLASH;
use crate::lifecycle::{parse_url, Crash, Mounted};
use crate::metrics::{self, ErrorKind};
use crate::protocol::{self, ClientFrame, ReplyMeta};
use crate::rate_limit::RateLimit;
use crate::render::{diff, full, Rendered};
use crate::shutdown::Running;
use crate::socket::Navigation;
use crate::{LiveEvent, LiveView, Mailbox, Params};

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

/// The connection is over: the socket closed, failed, or was closed by the process.
#[derive(Debug)]
struct Disconnected;

/// A join frame's contents.
struct Join {
    reference: u64,
    token: String,
    url: String,
}

/// Runs one connection from the first frame to the close.
pub(crate) async fn run<V: LiveView>(ws: WebSocket, endpoint: Arc<Endpoint>, path_params: Params) {
    let running = endpoint.shutdown.register();
    let mut ws = Wire {
        socket: ws,
        write_timeout: endpoint.config.write_timeout,
    };
    let Some(join) = await_join(&mut ws, &endpoint).await else {
        return;
    };
    let session = match endpoint
        .signer
        .verify(&join.token, std::any::type_name::<V>())
    {
        Ok(session) => session,
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
    let uri = parse_url(&join.url).unwrap_or_else(|| Uri::from_static("/"));
    let (sender, mailbox) = mpsc::channel(endpoint.config.mailbox_capacity);
    let socket = endpoint.socket::<V>(Mailbox::new(Some(sender)));
    let mounted = match Mounted::mount(&session, path_params, &uri, socket).await {
        Ok(mounted) => mounted,
        Err(crash) => return crashed(&mut ws, join.reference, &crash).await,
    };
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
        rate,
        bad_frames: 0,
    };
    let _connected = metrics::view_joined();
    process.serve(join.reference, mailbox, running).await;
}

/// Waits for the join frame, answering anything else with an error.
async fn await_join(ws: &mut Wire, endpoint: &Endpoint) -> Option<Join> {
    let deadline = tokio::time::Instant::now() + endpoint.config.join_timeout;
    loop {
        let message = match tokio::time::timeout_at(deadline, ws.socket.recv()).await {
            Ok(Some(Ok(message))) => message,
            Ok(Some(Err(error))) => {
                read_failed(ws, &error).await;
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
            Incoming::Done => return None,
        };
        match protocol::parse(text.as_str()) {
            Ok((reference, ClientFrame::Join { session, url })) => {
                return Some(Join {
                    reference,
                    token: session,
                    url,
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
    Done,
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
            Incoming::Done
        }
        Message::Text(text) => Incoming::Text(text),
        Message::Binary(_) => {
            metrics::error(ErrorKind::BadFrame);
            let error = ReplyMeta::error("malformed frame: binary frames are not supported");
            match send(ws, protocol::reply(0, None, &error)).await {
                Ok(()) => Incoming::Skip,
                Err(Disconnected) => Incoming::Done,
            }
        }
        Message::Close(_) => Incoming::Done,
        Message::Ping(_) | Message::Pong(_) => Incoming::Skip,
    }
}

/// A read error ends the connection; a frame over the transport's hard limit gets a reason.
async fn read_failed(ws: &mut Wire, error: &axum::Error) {
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
    }
}

struct Process<V: LiveView> {
    ws: Wire,
    endpoint: Arc<Endpoint>,
    mounted: Mounted<V>,
    /// What the client holds.
    rendered: Rendered,
    title: Option<String>,
    rate: RateLimit,
    /// Frames that could not be decoded since the last good one.
    bad_frames: u32,
}

impl<V: LiveView> Process<V> {
    async fn serve(
        mut self,
        join_ref: u64,
        mut mailbox: mpsc::Receiver<V::Info>,
        mut running: Running,
    ) {
        // The join reply carries every fragment whole; from then on only diffs travel.
        let Ok(()) = self.after_callback(join_ref, true).await else {
            return;
        };
        if *running.signal.borrow_and_update() {
            // Joined while the server was already draining.
            return close(&mut self.ws, GOING_AWAY, "server shutting down").await;
        }
        let idle_timeout = self.endpoint.config.idle_timeout;
        let idle = tokio::time::sleep(idle_timeout);
        tokio::pin!(idle);
        // Moving the timer on every frame would cost a timer-wheel update per event; the
        // time of the last frame is kept instead, and checked when the timer fires.
        let mut last_frame = tokio::time::Instant::now();
        loop {
            tokio::select! {
                frame = self.ws.socket.recv() => {
                    last_frame = tokio::time::Instant::now();
                    let message = match frame {
                        Some(Ok(message)) => message,
                        Some(Err(error)) => return read_failed(&mut self.ws, &error).await,
                        None => return,
                    };
                    match frame_text(&mut self.ws, &self.endpoint, message).await {
                        Incoming::Text(text) => {
                            if self.handle_frame(text.as_str()).await.is_err() {
                                return;
                            }
                        }
                        Incoming::Skip => {}
                        Incoming::Done => return,
                    }
                }
                Some(msg) = mailbox.recv() => {
                    let mut pending = Some(msg);
                    let mut handled = 0;
                    while let Some(msg) = pending.take() {
                        if let Err(crash) = self.mounted.handle_info(msg).await {
                            return crashed(&mut self.ws, 0, &crash).await;
                        }
                        handled += 1;
                        if handled < COALESCE_LIMIT {
                            pending = mailbox.try_recv().ok();
                        }
                    }
                    if let Some(lagged) = self.mounted.socket.lag.take() {
                        if let Err(crash) = self.mounted.handle_lagged(lagged).await {
                            return crashed(&mut self.ws, 0, &crash).await;
                        }
                    }
                    if self.after_callback(0, false).await.is_err() {
                        return;
                    }
                }
                _ = running.signal.changed() => {
                    close(&mut self.ws, GOING_AWAY, "server shutting down").await;
                    return;
                }
                () = &mut idle => {
                    let deadline = last_frame + idle_timeout;
                    if deadline > tokio::time::Instant::now() {
                        idle.as_mut().reset(deadline);
                        continue;
                    }
                    metrics::error(ErrorKind::IdleTimeout);
                    close(&mut self.ws, GOING_AWAY, "idle timeout: no heartbeat").await;
                    return;
                }
            }
        }
    }

    /// Handles one client frame.
    async fn handle_frame(&mut self, text: &str) -> Result<(), Disconnected> {
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
                    return Err(Disconnected);
                }
                return self.refuse(error.reference, error.reason).await;
            }
        };
        match frame {
            ClientFrame::Heartbeat => {
                send(
                    &mut self.ws,
                    protocol::reply(reference, None, &ReplyMeta::default()),
                )
                .await
            }
            ClientFrame::Join { .. } => {
                metrics::error(ErrorKind::BadFrame);
                self.refuse(reference, "already joined".into()).await
            }
            ClientFrame::Nav { url } => {
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
                let outcome = self.mounted.handle_params(&uri).await;
                self.after(reference, outcome).await
            }
            ClientFrame::Event { name, value } => {
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
        }
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
                Err(Disconnected)
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
                Err(Disconnected)
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
                    self.mounted.handle_params(&uri).await?;
                    meta.patch = Some(url);
                    meta.replace = replace;
                }
                Some(Navigation::Navigate(url)) => meta.navigate = Some(url),
                Some(Navigation::Redirect(url)) => meta.redirect = Some(url),
                None => break,
            }
        }
        meta.events = std::mem::take(&mut self.mounted.socket.events);
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

async fn send(ws: &mut Wire, text: String) -> Result<(), Disconnected> {
    let bytes = text.len();
    match tokio::time::timeout(ws.write_timeout, ws.socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => {
            metrics::sent(bytes);
            Ok(())
        }
        Ok(Err(_)) => Err(Disconnected),
        Err(_) => {
            tracing::warn!("closing a connection that stopped reading (write timeout)");
            metrics::error(ErrorKind::WriteTimeout);
            Err(Disconnected)
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

/// Client-controlled text as it goes into the log: at most [`LOGGED_CHARS`] characters, so
/// a client cannot fill the log with 64 KiB event names.
fn for_log(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(LOGGED_CHARS) {
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], text.len()).into(),
        None => text.into(),
    }
}
