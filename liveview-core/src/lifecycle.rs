//! A view's lifecycle, the same for the dead render and the process: mount, then
//! `handle_params`, then callbacks, each followed by a render; every call into the view's
//! code runs under `catch_unwind`, so an error or a panic becomes a [`Crash`] instead of
//! taking the connection (or the server) down.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};

use axum::http::Uri;
use futures_util::FutureExt as _;

use crate::{LiveView, Params, Session, Socket};

/// Why a view stopped: its callback returned an error or panicked. The text is for the
/// server log only; the client is told no internals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Crash(String);

impl std::fmt::Display for Crash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A mounted view with what the framework keeps beside it: its socket (connection facts and
/// the effects asked for since the last render) and its route's path parameters.
pub(crate) struct Mounted<V: LiveView> {
    pub(crate) view: V,
    pub(crate) socket: Socket<V>,
    path_params: Params,
}

impl<V: LiveView> Mounted<V> {
    /// Mounts the view at `uri` and runs its first `handle_params`.
    pub(crate) async fn mount(
        session: &Session,
        path_params: Params,
        uri: &Uri,
        mut socket: Socket<V>,
    ) -> Result<Self, Crash> {
        let params = url_params(&path_params, uri);
        let view = guarded("mount", V::mount(params, session, &mut socket)).await?;
        let mut mounted = Mounted {
            view,
            socket,
            path_params,
        };
        mounted.handle_params(uri).await?;
        Ok(mounted)
    }

    /// The path parameters of the view's route, after a patch to another of its routes.
    pub(crate) fn set_path_params(&mut self, path_params: Params) {
        self.path_params = path_params;
    }

    /// Runs `handle_params` for `uri`: the route's path parameters plus the URL's query.
    pub(crate) async fn handle_params(&mut self, uri: &Uri) -> Result<(), Crash> {
        let params = url_params(&self.path_params, uri);
        let Mounted { view, socket, .. } = self;
        guarded("handle_params", view.handle_params(params, uri, socket)).await
    }

    /// Runs `handle_event`.
    pub(crate) async fn handle_event(&mut self, event: V::Event) -> Result<(), Crash> {
        let Mounted { view, socket, .. } = self;
        guarded("handle_event", view.handle_event(event, socket)).await
    }

    /// Runs `handle_info`.
    pub(crate) async fn handle_info(&mut self, msg: V::Info) -> Result<(), Crash> {
        let Mounted { view, socket, .. } = self;
        guarded("handle_info", view.handle_info(msg, socket)).await
    }

    /// Runs `handle_lagged`.
    pub(crate) async fn handle_lagged(&mut self, lagged: crate::Lagged) -> Result<(), Crash> {
        let Mounted { view, socket, .. } = self;
        guarded("handle_lagged", view.handle_lagged(lagged, socket)).await
    }

    /// The HTML inside the live container: the flash, then the view.
    pub(crate) fn render(&self) -> Result<String, Crash> {
        caught("render", || {
            let mut html = self.socket.flash.render().into_string();
            html.push_str(&self.view.render().into_string());
            html
        })
    }

    /// The view's title.
    pub(crate) fn title(&self) -> Result<Option<String>, Crash> {
        caught("title", || self.view.title())
    }
}

/// A URL from the client or from `push_patch`; `None` when it does not parse.
pub(crate) fn parse_url(url: &str) -> Option<Uri> {
    url.parse().ok()
}

/// Path parameters of the route plus the URL's query, path parameters winning.
pub(crate) fn url_params(path_params: &Params, uri: &Uri) -> Params {
    let mut params = Params::from_query(uri.query().unwrap_or_default());
    for (name, value) in path_params.iter() {
        params.insert(name, value);
    }
    params
}

/// Runs a callback, turning both its error and its panic into a [`Crash`].
///
/// The callback's future is boxed: a view's process lives as long as its connection, and
/// an unboxed callback (a database query, say) would make every idle process as big as
/// the largest future any of its callbacks ever awaits.
async fn guarded<T>(
    callback: &str,
    future: impl Future<Output = crate::Result<T>> + Send,
) -> Result<T, Crash> {
    match Box::pin(AssertUnwindSafe(future).catch_unwind()).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(Crash(format!("{callback} returned an error: {error}"))),
        Err(panic) => Err(panicked(callback, &*panic)),
    }
}

/// Runs a synchronous call into the view's code, turning its panic into a [`Crash`].
fn caught<T>(callback: &str, f: impl FnOnce() -> T) -> Result<T, Crash> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| panicked(callback, &*panic))
}

fn panicked(callback: &str, panic: &(dyn std::any::Any + Send)) -> Crash {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".into());
    Crash(format!("{callback} panicked: {message}"))
}
