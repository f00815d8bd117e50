//! The process: one tokio task per connected view, owning its state.
//!
//! Everything the view can receive (socket frames, mailbox messages) is read by one
//! `select!` loop, so the state needs no locks. Each callback is followed by one render,
//! one diff against what the client holds, and one frame. Mailbox messages that are
//! already waiting are handled together and rendered once (coalescing).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use axum::http::Uri;
use futures_util::FutureExt as _;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::flash::CLEAR_FLASH;
use crate::protocol::{self, meta, ClientFrame};
use crate::rate_limit::RateLimit;
use crate::render::{diff, full, Rendered};
use crate::router::Inner;
use crate::socket::Navigation;
use crate::{LiveEvent, LiveView, Mailbox, Params, Socket};

/// Most messages handled before rendering, so a flood cannot starve the socket.
const COALESCE_LIMIT: usize = 64;
/// Most consecutive `push_patch`es followed within one callback.
const PATCH_LIMIT: usize = 8;

/// Close codes (RFC 6455).
const GOING_AWAY: u16 = 1001;
const POLICY: u16 = 1008;
const TOO_BIG: u16 = 1009;
const INTERNAL: u16 = 1011;

/// Runs one connection from the first frame to the close.
pub(crate) async fn run<V: LiveView>(mut ws: WebSocket, live: Arc<Inner>, path_params: Params) {
    let Some((reference, token, url)) = await_join(&mut ws, &live).await else {
        return;
    };
    let session = match live.signer.verify(&token, std::any::type_name::<V>()) {
        Ok(session) => session,
        Err(error) => {
            tracing::warn!(%error, "join refused");
            let mut refusal = meta("fatal", error.to_string());
            refusal.insert("reload".into(), Value::Bool(true));
            let _ = send(&mut ws, protocol::reply(reference, None, &refusal)).await;
            close(&mut ws, POLICY, "invalid session token").await;
            return;
        }
    };
    let uri: Uri = url.parse().unwrap_or_else(|_| Uri::from_static("/"));
    let params = url_params(&path_params, &uri);

    let (sender, mailbox) = mpsc::channel(live.config.mailbox_capacity);
    let mut socket = Socket::new(true, Mailbox::new(Some(sender)));
    let view = match guarded(V::mount(params.clone(), &session, &mut socket)).await {
        Ok(view) => view,
        Err(reason) => return crash(&mut ws, reference, &reason).await,
    };
    let rate = RateLimit::new(live.config.events_per_second, live.config.event_burst);
    let mut process = Process {
        ws,
        live,
        view,
        socket,
        path_params,
        rendered: Rendered::new(String::new()),
        title: None,
        rate,
    };
    if let Err(reason) = guarded(
        process
            .view
            .handle_params(params, &uri, &mut process.socket),
    )
    .await
    {
        return crash(&mut process.ws, reference, &reason).await;
    }
    process.serve(reference, mailbox).await;
}

/// Waits for the join frame, answering anything else with an error.
async fn await_join(ws: &mut WebSocket, live: &Inner) -> Option<(u64, String, String)> {
    let deadline = tokio::time::Instant::now() + live.config.join_timeout;
    loop {
        let message = match tokio::time::timeout_at(deadline, ws.recv()).await {
            Ok(Some(Ok(message))) => message,
            Ok(Some(Err(error))) => {
                read_failed(ws, &error).await;
                return None;
            }
            Ok(None) => return None,
            Err(_) => {
                close(ws, POLICY, "no join frame in time").await;
                return None;
            }
        };
        let text = match frame_text(ws, live, message).await {
            Incoming::Text(text) => text,
            Incoming::Skip => continue,
            Incoming::Done => return None,
        };
        match protocol::parse(text.as_str()) {
            Ok((reference, ClientFrame::Join { session, url })) => {
                return Some((reference, session, url))
            }
            Ok((reference, _)) => {
                let error = meta("error", "not joined: the first frame must be join");
                send(ws, protocol::reply(reference, None, &error))
                    .await
                    .ok()?;
            }
            Err(error) => {
                let reply = protocol::reply(error.reference, None, &meta("error", error.reason));
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

async fn frame_text(ws: &mut WebSocket, live: &Inner, message: Message) -> Incoming {
    match message {
        Message::Text(text) if text.len() > live.config.max_frame_bytes => {
            let reason = format!(
                "frame too large: {} bytes > {} allowed",
                text.len(),
                live.config.max_frame_bytes
            );
            tracing::warn!("{reason}");
            let _ = send(ws, protocol::reply(0, None, &meta("error", reason))).await;
            close(ws, TOO_BIG, "frame too large").await;
            Incoming::Done
        }
        Message::Text(text) => Incoming::Text(text),
        Message::Binary(_) => {
            let error = meta("error", "malformed frame: binary frames are not supported");
            match send(ws, protocol::reply(0, None, &error)).await {
                Ok(()) => Incoming::Skip,
                Err(()) => Incoming::Done,
            }
        }
        Message::Close(_) => Incoming::Done,
        Message::Ping(_) | Message::Pong(_) => Incoming::Skip,
    }
}

/// A read error ends the connection; a frame over the transport's hard limit gets a reason.
async fn read_failed(ws: &mut WebSocket, error: &axum::Error) {
    let text = error.to_string();
    if text.contains("too long") || text.contains("Space limit") {
        tracing::warn!(%error, "frame too large");
        let _ = send(
            ws,
            protocol::reply(0, None, &meta("error", format!("frame too large: {text}"))),
        )
        .await;
        close(ws, TOO_BIG, "frame too large").await;
    } else {
        tracing::debug!(%error, "socket read failed");
    }
}

struct Process<V: LiveView> {
    ws: WebSocket,
    live: Arc<Inner>,
    view: V,
    socket: Socket<V>,
    path_params: Params,
    /// What the client holds.
    rendered: Rendered,
    title: Option<String>,
    rate: RateLimit,
}

impl<V: LiveView> Process<V> {
    async fn serve(mut self, join_ref: u64, mut mailbox: mpsc::Receiver<V::Info>) {
        // The join reply carries every fragment whole; from then on only diffs travel.
        let Ok(()) = self.after_callback(join_ref, true).await else {
            return;
        };
        let idle_timeout = self.live.config.idle_timeout;
        let idle = tokio::time::sleep(idle_timeout);
        tokio::pin!(idle);
        // Moving the timer on every frame would cost a timer-wheel update per event; the
        // time of the last frame is kept instead, and checked when the timer fires.
        let mut last_frame = tokio::time::Instant::now();
        loop {
            tokio::select! {
                frame = self.ws.recv() => {
                    last_frame = tokio::time::Instant::now();
                    let message = match frame {
                        Some(Ok(message)) => message,
                        Some(Err(error)) => return read_failed(&mut self.ws, &error).await,
                        None => return,
                    };
                    match frame_text(&mut self.ws, &self.live, message).await {
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
                        if let Err(reason) = guarded(self.view.handle_info(msg, &mut self.socket)).await {
                            return crash(&mut self.ws, 0, &reason).await;
                        }
                        handled += 1;
                        if handled < COALESCE_LIMIT {
                            pending = mailbox.try_recv().ok();
                        }
                    }
                    if self.after_callback(0, false).await.is_err() {
                        return;
                    }
                }
                () = &mut idle => {
                    let deadline = last_frame + idle_timeout;
                    if deadline > tokio::time::Instant::now() {
                        idle.as_mut().reset(deadline);
                        continue;
                    }
                    close(&mut self.ws, GOING_AWAY, "idle timeout: no heartbeat").await;
                    return;
                }
            }
        }
    }

    /// Handles one client frame; `Err` when the connection is over.
    async fn handle_frame(&mut self, text: &str) -> Result<(), ()> {
        let (reference, frame) = match protocol::parse(text) {
            Ok(parsed) => parsed,
            Err(error) => {
                tracing::warn!(reason = %error.reason, "bad frame");
                return self.refuse(error.reference, error.reason).await;
            }
        };
        match frame {
            ClientFrame::Heartbeat => {
                send(&mut self.ws, protocol::reply(reference, None, &Map::new())).await
            }
            ClientFrame::Join { .. } => self.refuse(reference, "already joined".into()).await,
            ClientFrame::Nav { url } => {
                let uri: Uri = match url.parse() {
                    Ok(uri) => uri,
                    Err(_) => {
                        return self
                            .refuse(reference, format!("nav: invalid url {url:?}"))
                            .await
                    }
                };
                let params = url_params(&self.path_params, &uri);
                if let Err(reason) =
                    guarded(self.view.handle_params(params, &uri, &mut self.socket)).await
                {
                    crash(&mut self.ws, reference, &reason).await;
                    return Err(());
                }
                self.after_callback(reference, false).await
            }
            ClientFrame::Event { name, value } => {
                if !self.rate.allow(Instant::now()) {
                    let reason = format!(
                        "rate limited: more than {} events per second",
                        self.live.config.events_per_second
                    );
                    return self.refuse(reference, reason).await;
                }
                if name == CLEAR_FLASH {
                    let kind = value.get("kind").and_then(Value::as_str);
                    self.socket.clear_flash(kind);
                    return self.after_callback(reference, false).await;
                }
                let event = match V::Event::decode(&name, value) {
                    Ok(event) => event,
                    Err(error) => {
                        tracing::warn!(%error, "event refused");
                        return self.refuse(reference, error.to_string()).await;
                    }
                };
                if let Err(reason) = guarded(self.view.handle_event(event, &mut self.socket)).await
                {
                    crash(&mut self.ws, reference, &reason).await;
                    return Err(());
                }
                self.after_callback(reference, false).await
            }
        }
    }

    async fn refuse(&mut self, reference: u64, reason: String) -> Result<(), ()> {
        send(
            &mut self.ws,
            protocol::reply(reference, None, &meta("error", reason)),
        )
        .await
    }

    /// Applies the effects a callback asked for, renders, diffs and sends the frame.
    async fn after_callback(&mut self, reference: u64, join: bool) -> Result<(), ()> {
        let mut meta = Map::new();
        for _ in 0..PATCH_LIMIT {
            match self.socket.navigation.take() {
                Some(Navigation::Patch { url, replace }) => {
                    let uri: Uri = url.parse().unwrap_or_else(|_| Uri::from_static("/"));
                    let params = url_params(&self.path_params, &uri);
                    if let Err(reason) =
                        guarded(self.view.handle_params(params, &uri, &mut self.socket)).await
                    {
                        crash(&mut self.ws, reference, &reason).await;
                        return Err(());
                    }
                    meta.insert("patch".into(), Value::String(url));
                    if replace {
                        meta.insert("replace".into(), Value::Bool(true));
                    }
                }
                Some(Navigation::Navigate(url)) => {
                    meta.insert("navigate".into(), Value::String(url));
                }
                Some(Navigation::Redirect(url)) => {
                    meta.insert("redirect".into(), Value::String(url));
                }
                None => break,
            }
        }
        if !self.socket.events.is_empty() {
            let events = self
                .socket
                .events
                .drain(..)
                .map(|(name, payload)| Value::Array(vec![Value::String(name), payload]))
                .collect();
            meta.insert("events".into(), Value::Array(events));
        }
        let title = self.view.title();
        if title != self.title {
            if let Some(title) = &title {
                meta.insert("title".into(), Value::String(title.clone()));
            }
            self.title = title;
        }
        let (rendered, delta) = self
            .rendered
            .following(render_root(&self.view, &self.socket));
        let changes = if join {
            full(&rendered)
        } else {
            diff(&self.rendered, &rendered, &delta)
        };
        self.rendered = rendered;
        if reference == 0 && changes.is_empty() && meta.is_empty() {
            return Ok(());
        }
        send(
            &mut self.ws,
            protocol::reply(reference, Some(&changes), &meta),
        )
        .await
    }
}

/// The HTML inside the live container: the flash, then the view.
pub(crate) fn render_root<V: LiveView>(view: &V, socket: &Socket<V>) -> String {
    let mut html = socket.flash.render().into_string();
    html.push_str(&view.render().into_string());
    html
}

/// Path parameters of the route plus the URL's query.
pub(crate) fn url_params(path_params: &Params, uri: &Uri) -> Params {
    let mut params = Params::from_query(uri.query().unwrap_or_default());
    for (name, value) in path_params.iter() {
        params.insert(name, value);
    }
    params
}

/// Runs a callback, turning both its error and its panic into a reason for the log.
pub(crate) async fn guarded<T>(
    callback: impl Future<Output = crate::Result<T>>,
) -> Result<T, String> {
    match AssertUnwindSafe(callback).catch_unwind().await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(format!("callback returned an error: {error}")),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic".into());
            Err(format!("callback panicked: {message}"))
        }
    }
}

/// Ends the view after a failed callback: the client is told (without internals) and
/// rejoins with a fresh mount; other connections are untouched.
async fn crash(ws: &mut WebSocket, reference: u64, reason: &str) {
    tracing::error!(%reason, "view crashed");
    let fatal = meta("fatal", "the view crashed; rejoining");
    let _ = send(ws, protocol::reply(reference, None, &fatal)).await;
    close(ws, INTERNAL, "view crashed").await;
}

async fn send(ws: &mut WebSocket, text: String) -> Result<(), ()> {
    ws.send(Message::Text(text.into())).await.map_err(|_| ())
}

async fn close(ws: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = ws.send(Message::Close(Some(frame))).await;
}
