//! What every route and every process of one [`crate::Live`] shares: the settings, the
//! token signer, the page layout and how a request becomes a session.

use std::sync::Arc;

use axum::http::request::Parts;
use axum::http::Extensions;

use futures_util::future::BoxFuture;

use crate::layout::Layout;
use crate::live_session::{Handoff, RouteTable};
use crate::presence::Presence;
use crate::pubsub::SharedPubSub;
use crate::resume::Resumable;
use crate::session::Signer;
use crate::shutdown::Shutdown;
use crate::{LiveConfig, LiveView, Mailbox, Session, Socket};

/// The shared, read-only half of a [`crate::Live`]; each process holds an `Arc` of it.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub(crate) config: LiveConfig,
    pub(crate) signer: Signer,
    pub(crate) layout: Arc<Layout>,
    pub(crate) session: Arc<dyn Fn(&Parts) -> Session + Send + Sync>,
    pub(crate) pubsub: SharedPubSub,
    pub(crate) presence: Presence,
    /// The app's own shared values (a database pool, a search index), by type.
    pub(crate) extensions: Arc<Extensions>,
    pub(crate) shutdown: Shutdown,
    /// Views a rejoin may take over (resume after a short disconnect).
    pub(crate) resumable: Arc<Resumable>,
    /// The live session's routes, for navigation between its views.
    pub(crate) routes: Arc<RouteTable<Start>>,
}

/// Starts one view type on a socket another view of the session handed over; resolves to
/// the next hand-over when the client navigates on. (A function per view type, made by
/// the process module, so the route table can start a view it knows only by its route.)
#[derive(Clone, Copy)]
pub(crate) struct Start(
    #[allow(clippy::type_complexity)]
    pub(crate)  fn(Arc<Endpoint>, Handoff) -> BoxFuture<'static, Option<(Start, Handoff)>>,
);

impl Endpoint {
    /// A socket for a view of this endpoint.
    pub(crate) fn socket<V: LiveView>(&self, mailbox: Mailbox<V::Info>) -> Socket<V> {
        let connected = mailbox.sender().is_some();
        Socket::new(
            connected,
            mailbox,
            self.pubsub.clone(),
            self.presence.clone(),
            self.extensions.clone(),
        )
    }
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
