//! The counter screen through the harness: the port of the reference app's LiveView test.

use axum::Router;
use liveview_core::testing::live;
use liveview_core::LiveConfig;

/// The demo on a private in-memory database.
async fn app() -> Router {
    let state = demo_app::AppState::open("sqlite::memory:").await.unwrap();
    demo_app::router(LiveConfig::default(), state)
}

#[tokio::test]
async fn counter_starts_at_zero_and_follows_the_buttons() {
    let mut view = live(app().await, "/counter").await.unwrap();
    assert!(view.has_element_with_text("h1", "Counter: 0"));

    view.element("button", "+").click().await.unwrap();
    view.element("button", "+").click().await.unwrap();
    assert!(view.has_element_with_text("h1", "Counter: 2"));

    view.element("button", "-").click().await.unwrap();
    assert!(view.has_element_with_text("h1", "Counter: 1"));
}

#[tokio::test]
async fn every_page_load_starts_its_own_count() {
    let app = app().await;
    let mut first = live(app.clone(), "/counter").await.unwrap();
    first.element("button", "+").click().await.unwrap();
    let second = live(app, "/counter").await.unwrap();
    assert!(first.has_element_with_text("h1", "Counter: 1"));
    assert!(second.has_element_with_text("h1", "Counter: 0"));
}

#[tokio::test]
async fn the_page_works_without_javascript_and_links_every_screen() {
    let page = liveview_core::testing::dead_render(app().await, "/counter")
        .await
        .unwrap();
    assert!(page.contains("<h1>Counter: 0</h1>"));
    assert!(page.contains(r#"phx-click="increment""#));
    assert!(page.contains(r#"<nav class="topbar">"#));
    assert!(page.contains("data-phx-session="));
    assert!(page.contains(r#"<script defer src="/live/liveview-"#));
}

#[tokio::test]
async fn a_bad_event_is_refused_and_the_view_keeps_counting() {
    let mut view = live(app().await, "/counter").await.unwrap();
    let error = view
        .event("explode", serde_json::json!({}))
        .await
        .unwrap_err();
    assert!(
        error
            .0
            .contains("unknown event \"explode\"; this view handles: increment, decrement"),
        "{error}"
    );
    view.element("button", "+").click().await.unwrap();
    assert!(view.has_element_with_text("h1", "Counter: 1"));
}
