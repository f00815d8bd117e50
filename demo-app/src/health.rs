//! `GET /health`: liveness for load balancers and the test scripts, database included,
//! with the pubsub backend's state.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use liveview_core::pubsub::SharedPubSub;

use crate::db::Db;

/// What `/health` looks at.
#[derive(Clone)]
pub struct Health {
    /// The database, pinged on every request.
    pub db: Db,
    /// The pubsub, whose state is reported.
    pub pubsub: SharedPubSub,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("db", &self.db)
            .field("pubsub", &self.pubsub.status())
            .finish()
    }
}

/// How long the database gets to answer `SELECT 1`.
const DB_TIMEOUT: Duration = Duration::from_secs(2);

/// 200 `{"status":"ok","database":"ok","pubsub":"local",...}` while the database answers,
/// else 503 `{"status":"error","database":"<why>",...}`.
///
/// `pubsub` is `local`, `redis: connecting`, `redis: connected` or `redis: reconnecting`.
/// A Redis that is down does not turn the answer into a 503: the node still serves its
/// own views (only what crosses nodes waits for Redis), so a load balancer should keep
/// sending it traffic.
pub async fn health(State(Health { db, pubsub }): State<Health>) -> (StatusCode, Json<Value>) {
    let version = env!("CARGO_PKG_VERSION");
    let pubsub = pubsub.status();
    let database = match tokio::time::timeout(DB_TIMEOUT, db.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {} ms", DB_TIMEOUT.as_millis())),
    };
    match database {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": "ok", "pubsub": pubsub, "version": version })),
        ),
        Err(reason) => {
            tracing::warn!("/health: database: {reason}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({ "status": "error", "database": reason, "pubsub": pubsub, "version": version }),
                ),
            )
        }
    }
}
