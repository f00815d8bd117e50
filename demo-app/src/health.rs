//! `GET /health`: liveness for load balancers and the test scripts.

use axum::Json;
use serde_json::{json, Value};

/// `{"status":"ok", ...}` with 200 while the app serves requests.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}
