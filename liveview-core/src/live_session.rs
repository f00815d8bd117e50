//! The live session: the routes of one [`Live`](crate::Live), so that navigation knows which
//! view a URL belongs to and with which path parameters, and what one view hands the next
//! when the client navigates between them over the same websocket.
//!
//! Views mounted with [`LiveRoutes::view`](crate::LiveRoutes::view) are in the session: a
//! `push_patch` to another of the same view's routes gets that route's parameters, and a
//! `push_navigate` (or a navigate link) to another view of the session switches views over
//! the same websocket, with no page load. A URL outside the session is left with a full
//! page load.

use std::sync::RwLock;

use axum::extract::ws::WebSocket;
use axum::http::Uri;

use crate::shutdown::Running;
use crate::{Flash, Params, Session};

/// One route of the session: which view it shows, and how to start it (`S`, a function the
/// process module provides, kept generic so this table needs nothing from it).
#[derive(Clone, Copy)]
pub(crate) struct Route<S> {
    pub(crate) view: &'static str,
    pub(crate) start: S,
}

/// What a view leaves to the next one when the client navigates within the session.
pub(crate) struct Handoff {
    pub(crate) socket: WebSocket,
    pub(crate) running: Running,
    /// The session the connection's join verified: the next view mounts with it.
    pub(crate) session: Session,
    /// The next view's route parameters.
    pub(crate) path_params: Params,
    /// The navigate join frame's ref and URL.
    pub(crate) reference: u64,
    pub(crate) url: String,
    /// Flash messages put before the navigation: the next view shows them.
    pub(crate) flash: Flash,
}

/// The session's route table: URL path patterns (axum's syntax, `/users/{id}`) to views.
pub(crate) struct RouteTable<S> {
    routes: RwLock<matchit::Router<Route<S>>>,
}

impl<S> Default for RouteTable<S> {
    fn default() -> Self {
        RouteTable {
            routes: RwLock::new(matchit::Router::new()),
        }
    }
}

impl<S> std::fmt::Debug for RouteTable<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteTable").finish_non_exhaustive()
    }
}

impl<S: Copy> RouteTable<S> {
    /// Adds a route; a pattern the table cannot take (a duplicate, a conflict) panics at
    /// startup, as axum's own router does for the same mistake.
    pub(crate) fn insert(&self, pattern: &str, route: Route<S>) {
        let mut routes = self.routes.write().unwrap_or_else(|e| e.into_inner());
        if let Err(error) = routes.insert(pattern, route) {
            panic!("live route {pattern:?}: {error}");
        }
    }

    /// The route a URL's path matches, with its path parameters.
    pub(crate) fn find(&self, uri: &Uri) -> Option<(Route<S>, Params)> {
        let routes = self.routes.read().unwrap_or_else(|e| e.into_inner());
        let matched = routes.at(uri.path()).ok()?;
        let mut params = Params::default();
        for (name, value) in matched.params.iter() {
            params.insert(name, value);
        }
        Some((*matched.value, params))
    }
}
