//! Server-driven real-time UI for Rust: the LiveView model on axum, maud and websockets.
//!
//! A view is a Rust type implementing [`LiveView`]. The first request gets plain HTML; the
//! bundled client then opens a websocket, and from then on every event runs a callback on
//! the server, the view re-renders, and only a patch of what changed travels back.
//!
//! ```no_run
//! use axum::Router;
//! use liveview_core::{maud::{html, Markup}, Live, LiveConfig, LiveEvent, LiveView, Params, Result, Session, Socket};
//!
//! struct Counter { count: i64 }
//!
//! #[derive(LiveEvent)]
//! enum CounterEvent { Increment }
//!
//! impl LiveView for Counter {
//!     type Event = CounterEvent;
//!     type Info = ();
//!
//!     async fn mount(_: Params, _: &Session, _: &mut Socket<Self>) -> Result<Self> {
//!         Ok(Counter { count: 0 })
//!     }
//!
//!     async fn handle_event(&mut self, _: CounterEvent, _: &mut Socket<Self>) -> Result<()> {
//!         self.count += 1;
//!         Ok(())
//!     }
//!
//!     fn render(&self) -> Markup {
//!         html! { h1 { "Counter: " (self.count) } button phx-click="increment" { "+" } }
//!     }
//! }
//!
//! # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
//! let live = Live::new(LiveConfig::from_env()?);
//! let app = Router::new()
//!     .route("/counter", live.view::<Counter>())
//!     .merge(live.client_routes());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:4000").await.unwrap();
//! axum::serve(listener, app).await.unwrap();
//! # Ok(())
//! # }
//! ```
//!
//! See `docs/guide.md` for a tour and `docs/protocol.md` for the wire format.

mod client;
mod config;
mod endpoint;
mod error;
mod event;
mod flash;
mod form;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod js_commands;
mod layout;
mod lifecycle;
pub mod link;
mod live_session;
mod mailbox;
pub mod metrics;
mod params;
pub mod presence;
mod process;
mod protocol;
pub mod pubsub;
mod rate_limit;
pub mod render;
mod resume;
mod router;
mod serve;
mod session;
mod shutdown;
mod socket;
pub mod stream;
#[cfg(feature = "testing")]
pub mod testing;
mod view;

pub use config::{ConfigError, LiveConfig, PubSubConfig};
pub use error::{BoxError, Result};
pub use event::{EventError, LiveEvent};
pub use flash::Flash;
pub use form::{Blank, Errors, Form, InputType, Validate};
pub use js_commands::JS;
pub use layout::{default_layout, Layout, Page};
pub use liveview_macros::LiveEvent;
pub use mailbox::{Closed, Mailbox};
pub use params::Params;
pub use router::{Live, LiveRoutes};
pub use serve::{serve, ServeLimits};
pub use session::{Session, TokenError};
pub use socket::{Lagged, Socket};
pub use view::LiveView;

/// The `maud` the framework renders with. Its `html!` macro expands to paths under
/// `::maud`, so an app that writes templates also lists `maud` in its own `Cargo.toml`
/// (same version); this re-export names the types (`Markup`) without that.
pub use maud;

// The derive names `::liveview_core`; the fuzz checks derive an event type inside it.
#[cfg(feature = "fuzzing")]
extern crate self as liveview_core;

#[doc(hidden)]
pub mod __private {
    pub use crate::event::{name_matches, payload};
    pub use serde;
    pub use serde_json;
}
