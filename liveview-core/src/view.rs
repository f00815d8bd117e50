//! The `LiveView` trait: what a developer writes.

use std::future::Future;

use axum::http::Uri;
use maud::Markup;

use crate::{Lagged, LiveEvent, Params, Result, Session, Socket};

/// A live view: state in the struct, behaviour in the callbacks, HTML from `render`.
///
/// Each connected browser tab gets its own instance, owned by one tokio task (the
/// *process*); nothing else touches it, so the state needs no locks. After every callback
/// the framework calls `render`, diffs the result against what the client has, and sends
/// only the changes.
///
/// Callbacks are `async`; write them with `async fn` in the `impl`. Their futures must be
/// `Send`, as they run on tokio's multi-threaded runtime.
///
/// ```
/// use liveview_core::{maud::{html, Markup}, LiveEvent, LiveView, Params, Result, Session, Socket};
///
/// #[derive(Default)]
/// struct Counter {
///     count: i64,
/// }
///
/// #[derive(LiveEvent)]
/// enum CounterEvent {
///     Increment,
///     Decrement,
/// }
///
/// impl LiveView for Counter {
///     type Event = CounterEvent;
///     type Info = ();
///
///     async fn mount(_: Params, _: &Session, _: &mut Socket<Self>) -> Result<Self> {
///         Ok(Counter::default())
///     }
///
///     async fn handle_event(&mut self, event: CounterEvent, _: &mut Socket<Self>) -> Result<()> {
///         match event {
///             CounterEvent::Increment => self.count += 1,
///             CounterEvent::Decrement => self.count -= 1,
///         }
///         Ok(())
///     }
///
///     fn render(&self) -> Markup {
///         html! {
///             h1 { "Counter: " (self.count) }
///             button phx-click="increment" { "+" }
///             button phx-click="decrement" { "-" }
///         }
///     }
/// }
/// ```
pub trait LiveView: Sized + Send + 'static {
    /// The events the view handles, usually an enum deriving [`macro@crate::LiveEvent`].
    type Event: LiveEvent;
    /// Messages the view receives from timers, tasks and other views (`()` for none).
    type Info: Send + 'static;

    /// Builds the view's state. Called twice per page: once for the plain HTML response
    /// (`socket.connected()` is false) and once when the websocket joins. Start timers and
    /// subscriptions only when connected.
    fn mount(
        params: Params,
        session: &Session,
        socket: &mut Socket<Self>,
    ) -> impl Future<Output = Result<Self>> + Send;

    /// Called after `mount` and whenever the URL changes within the view (live patch,
    /// back/forward). The default does nothing.
    fn handle_params(
        &mut self,
        params: Params,
        uri: &Uri,
        socket: &mut Socket<Self>,
    ) -> impl Future<Output = Result<()>> + Send {
        let _ = (params, uri, socket);
        async { Ok(()) }
    }

    /// Handles one event from the browser.
    fn handle_event(
        &mut self,
        event: Self::Event,
        socket: &mut Socket<Self>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Handles a message from the view's [`crate::Mailbox`]. The default ignores it.
    fn handle_info(
        &mut self,
        msg: Self::Info,
        socket: &mut Socket<Self>,
    ) -> impl Future<Output = Result<()>> + Send {
        let _ = (msg, socket);
        async { Ok(()) }
    }

    /// Called when pubsub messages were dropped because the view's mailbox was full (it
    /// fell behind a burst): reload what the view shows from its source. The default does
    /// nothing; the loss is logged and counted either way.
    fn handle_lagged(
        &mut self,
        lagged: Lagged,
        socket: &mut Socket<Self>,
    ) -> impl Future<Output = Result<()>> + Send {
        let _ = (lagged, socket);
        async { Ok(()) }
    }

    /// The view's HTML. Give elements that change independently an `id`: each one becomes
    /// a fragment that is diffed, patched and morphed on its own.
    fn render(&self) -> Markup;

    /// The page title, applied on the first render and whenever it changes.
    fn title(&self) -> Option<String> {
        None
    }
}
