//! The demo app as a library: [`router`] builds the whole app, so tests can serve it
//! in-process and `main` stays a thin shell.

pub mod counter;
pub mod health;
pub mod layout;

use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use liveview_core::{Live, LiveConfig};

/// The demo's routes: every screen, `/health`, and the live client.
pub fn router(config: LiveConfig) -> Router {
    let live = Live::new(config).with_layout(layout::layout);
    Router::new()
        .route("/", get(|| async { Redirect::to("/counter") }))
        .route("/counter", live.view::<counter::Counter>())
        .route("/health", get(health::health))
        .merge(live.client_routes())
}
