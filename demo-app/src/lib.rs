//! The demo app as a library: [`AppState::open`] opens the database (creating, migrating
//! and loading it on first start) and [`router`] builds the whole app on it, so tests can
//! serve it in-process and `main` stays a thin shell.
//!
//! ```no_run
//! # async fn run() -> Result<(), demo_app::StartError> {
//! use liveview_core::LiveConfig;
//!
//! let state = demo_app::AppState::open(&demo_app::db::database_url_from_env()).await?;
//! let app = demo_app::router(LiveConfig::default(), state);
//! # let _ = app;
//! # Ok(())
//! # }
//! ```

pub mod accounts;
pub mod chat;
pub mod cities;
pub mod counter;
pub mod db;
pub mod health;
pub mod layout;
pub mod messages;
pub mod search;
pub mod users;
pub mod users_api;

use std::fmt;

use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use liveview_core::{Live, LiveConfig};

pub use cities::Cities;
pub use db::Db;

/// What the demo's handlers share: cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database pool (chat messages, users, the cities table).
    pub db: Db,
    /// The `/search` index (loaded from `db`).
    pub cities: Cities,
}

impl AppState {
    /// Opens the database at `database_url` (see [`Db::connect`]) and the cities data set
    /// in it (see [`Cities::open`]).
    pub async fn open(database_url: &str) -> Result<AppState, StartError> {
        let db = Db::connect(database_url).await.map_err(StartError::Db)?;
        let cities = Cities::open(&db).await.map_err(StartError::Cities)?;
        Ok(AppState { db, cities })
    }
}

/// The app could not start; the message says why.
#[derive(Debug)]
pub enum StartError {
    /// The database could not be opened or migrated.
    Db(db::DbError),
    /// The cities data set could not be loaded or indexed.
    Cities(cities::CitiesError),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Db(e) => e.fmt(f),
            StartError::Cities(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Db(e) => Some(e),
            StartError::Cities(e) => Some(e),
        }
    }
}

/// The demo's routes: every screen, `/health`, `/api/users`, and the live client.
pub fn router(config: LiveConfig, state: AppState) -> Router {
    routes(&live(config, &state), state)
}

/// The demo's `Live`: its layout, and the database and index every view reaches. Keep it
/// to [`Live::shutdown`] the views when the server stops.
pub fn live(config: LiveConfig, state: &AppState) -> Live {
    Live::new(config)
        .with_layout(layout::layout)
        .with_extension(state.db.clone())
        .with_extension(state.cities.clone())
}

/// The demo's routes on a given `Live`, with `GET /metrics` (Prometheus) when the metrics
/// recorder could be installed.
pub fn routes(live: &Live, state: AppState) -> Router {
    // One live session: the nav bar's links move between screens over the same socket.
    let app = live
        .routes()
        .view::<counter::Counter>("/counter")
        .view::<search::Search>("/search")
        .view::<chat::Chat>("/chat")
        .view::<users::Users>("/users")
        .view::<users::Users>("/users/new")
        .view::<users::Users>("/users/{id}")
        .view::<users::Users>("/users/{id}/edit")
        .into_router()
        .route("/", get(|| async { Redirect::to("/counter") }))
        .route(
            "/health",
            get(health::health).with_state(health::Health {
                db: state.db.clone(),
                pubsub: live.pubsub(),
            }),
        )
        .merge(users_api::routes(state.db.clone(), live.pubsub()));
    // The demo listens on loopback by default, so it serves the figures to anyone who can
    // reach it; a public deployment puts them behind its own auth (docs/security.md).
    match liveview_core::metrics::install() {
        Ok(metrics) => app.route("/metrics", metrics.route()),
        Err(error) => {
            tracing::warn!(%error, "serving no /metrics");
            app
        }
    }
}
