//! `/health` and start-up against good and bad databases.

use std::process::Command;

use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use axum::Router;
use liveview_core::LiveConfig;
use serde_json::Value;
use tower::ServiceExt as _;

async fn get_health(app: Router) -> (StatusCode, Value) {
    let response = app
        .oneshot(Request::get("/health").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = to_bytes(response.into_body(), 64 * 1024).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn health_is_ok_while_the_database_answers() {
    let state = demo_app::AppState::open("sqlite::memory:").await.unwrap();
    let (status, body) = get_health(demo_app::router(LiveConfig::default(), state)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["pubsub"], "local");
}

#[tokio::test]
async fn health_is_503_when_the_database_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let state = demo_app::AppState::open(&url).await.unwrap();
    let app = demo_app::router(LiveConfig::default(), state.clone());
    state.db.close().await;
    let (status, body) = get_health(app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "error");
    let reason = body["database"].as_str().unwrap();
    assert!(reason.contains("closed"), "{reason}");
}

#[tokio::test]
async fn health_is_503_when_postgres_stops() {
    let server = test_servers::postgres::TestPostgres::start().await.unwrap();
    let url = server.create_database().await.unwrap();
    let state = demo_app::AppState::open(&url).await.unwrap();
    let app = demo_app::router(LiveConfig::default(), state);
    let (status, body) = get_health(app.clone()).await;
    assert_eq!(
        (status, &body["database"]),
        (StatusCode::OK, &Value::from("ok"))
    );
    drop(server);
    let (status, body) = get_health(app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "error");
}

#[test]
fn the_server_refuses_to_start_on_an_unusable_database() {
    let dir = tempfile::tempdir().unwrap();
    // A path under a regular file can never be created.
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    for url in [
        format!("sqlite://{}/demo.db", file.display()),
        // Nothing listens on port 1.
        "postgres://demo@127.0.0.1:1/demo".to_owned(),
        "mysql://127.0.0.1/demo".to_owned(),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_demo-app"))
            .env("DATABASE_URL", &url)
            .env("PORT", "0")
            .env("RUST_LOG", "off")
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{url}: {stderr}");
        assert!(stderr.starts_with("demo-app: "), "{url}: {stderr}");
        assert!(stderr.contains(&format!("{url:?}")), "{url}: {stderr}");
        assert!(!stderr.contains("panicked"), "{url}: {stderr}");
    }
}

#[test]
fn the_server_refuses_to_start_on_an_unusable_pubsub_url() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_demo-app"))
        .env("LIVEVIEW_PUBSUB", "127.0.0.1:6379")
        .env("DATABASE_URL", "sqlite::memory:")
        .env("PORT", "0")
        .env("RUST_LOG", "off")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("demo-app: LIVEVIEW_PUBSUB: not a usable Redis URL"),
        "{stderr}"
    );
}
