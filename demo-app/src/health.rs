//! `GET /health`: liveness for load balancers and the test scripts, database included.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::db::Db;

/// How long the database gets to answer `SELECT 1`.
const DB_TIMEOUT: Duration = Duration::from_secs(2);

/// 200 `{"status":"ok","database":"ok",...}` while the database answers, else 503
/// `{"status":"error","database":"<why>",...}`.
pub async fn health(State(db): State<Db>) -> (StatusCode, Json<Value>) {
    let version = env!("CARGO_PKG_VERSION");
    let database = match tokio::time::timeout(DB_TIMEOUT, db.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {} ms", DB_TIMEOUT.as_millis())),
    };
    match database {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": "ok", "version": version })),
        ),
        Err(reason) => {
            tracing::warn!("/health: database: {reason}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "error", "database": reason, "version": version })),
            )
        }
    }
}
