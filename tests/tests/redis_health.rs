//! The demo's `/health` with the Redis pubsub: it reports the link's state, and stays 200
//! while only Redis is down. Needs `redis-server` (Debian's package of that name).

use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use axum::Router;
use liveview_core::{LiveConfig, PubSubConfig};
use liveview_tests::redis_server::RedisServer;
use liveview_tests::wait;
use serde_json::Value;
use tower::ServiceExt as _;

async fn health(app: &Router) -> (StatusCode, Value) {
    let response = app
        .clone()
        .oneshot(Request::get("/health").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = to_bytes(response.into_body(), 64 * 1024).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_the_redis_link_and_stays_ok_while_only_redis_is_down() {
    let mut redis = RedisServer::start();
    let state = demo_app::AppState::open("sqlite::memory:").await.unwrap();
    let config = LiveConfig {
        pubsub: PubSubConfig::Redis(redis.url()),
        ..LiveConfig::default()
    };
    let live = demo_app::live(config, &state);
    let app = demo_app::routes(&live, state);
    wait::until("the node connects to Redis", || {
        live.pubsub().status() == "redis: connected"
    })
    .await;
    let (status, body) = health(&app).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["pubsub"], "redis: connected");

    redis.kill();
    wait::until("the node notices Redis is gone", || {
        live.pubsub().status() == "redis: reconnecting"
    })
    .await;

    let (status, body) = health(&app).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["pubsub"], "redis: reconnecting");
}
