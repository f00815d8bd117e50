//! The search screen through the harness, over the real GeoNames data set.

use axum::Router;
use liveview_core::testing::{live, LiveViewTest};
use liveview_core::LiveConfig;
use serde_json::json;
use tokio::sync::OnceCell;

/// The demo on one in-memory database for the whole file (loading 34,000 cities once).
async fn app() -> Router {
    static STATE: OnceCell<demo_app::AppState> = OnceCell::const_new();
    let state = STATE
        .get_or_init(|| async { demo_app::AppState::open("sqlite::memory:").await.unwrap() })
        .await
        .clone();
    demo_app::router(LiveConfig::default(), state)
}

fn names(view: &LiveViewTest) -> Vec<String> {
    view.texts("#results li .name").unwrap()
}

async fn type_query(view: &mut LiveViewTest, query: &str) {
    view.form("#search-form", json!({ "query": query }))
        .change()
        .await
        .unwrap();
}

#[tokio::test]
async fn typing_a_prefix_shows_matching_cities_largest_first_with_the_count() {
    let mut view = live(app().await, "/search").await.unwrap();
    type_query(&mut view, "zur").await;
    let names = names(&view);
    assert_eq!(names[0], "Zürich", "accent-insensitive: {names:?}");
    assert!(view.has_element_with_text("#results li mark", "Zür"));
    assert!(view.has_element_with_text("#summary", "match"));
    view.assert_patch("/search?q=zur").unwrap();
}

#[tokio::test]
async fn the_results_list_has_one_li_per_result_and_at_most_twenty() {
    let mut view = live(app().await, "/search").await.unwrap();
    type_query(&mut view, "san").await;
    assert_eq!(names(&view).len(), 20);
    assert!(view.has_element_with_text("#summary", "the 20 largest shown"));
}

#[tokio::test]
async fn an_empty_query_shows_no_results_and_no_error() {
    let mut view = live(app().await, "/search?q=par").await.unwrap();
    assert!(!names(&view).is_empty());
    type_query(&mut view, "").await;
    assert!(names(&view).is_empty());
    assert!(!view.has_element_with_text("#summary", "No results"));
}

#[tokio::test]
async fn a_query_with_no_match_says_no_results() {
    let mut view = live(app().await, "/search").await.unwrap();
    type_query(&mut view, "qqqzzzx").await;
    assert!(names(&view).is_empty());
    assert!(view.has_element_with_text("#summary", "No results"));
}

#[tokio::test]
async fn the_query_in_the_url_is_restored_by_handle_params() {
    let view = live(app().await, "/search?q=new%20yo").await.unwrap();
    assert_eq!(names(&view)[0], "New York City");
    assert!(view.has_element("input[name=query][value='new yo']"));
}

#[tokio::test]
async fn hostile_queries_give_results_or_no_results_never_an_error() {
    let long = "a".repeat(10_000);
    let mut view = live(app().await, "/search").await.unwrap();
    for query in [
        "\"",
        "*",
        "AND (",
        "NEAR",
        "-",
        "^",
        "'; DROP TABLE cities; --",
        "\u{0}\u{7}",
        "🙂",
        long.as_str(),
    ] {
        type_query(&mut view, query).await;
        assert!(view.has_element("#summary"), "query {query:?}");
    }
    // Invalid UTF-8 in the URL is decoded lossily, not refused.
    let view = live(app().await, "/search?q=%ff%fe").await.unwrap();
    assert!(view.has_element("#summary"));
}

#[tokio::test]
async fn arrow_keys_move_through_the_results_and_enter_opens_one() {
    let mut view = live(app().await, "/search?q=zur").await.unwrap();
    view.event("key", json!({"key": "ArrowDown"}))
        .await
        .unwrap();
    assert_eq!(
        view.texts("#results li.selected .name").unwrap(),
        ["Zürich"]
    );
    view.event("key", json!({"key": "ArrowDown"}))
        .await
        .unwrap();
    view.event("key", json!({"key": "ArrowUp"})).await.unwrap();
    assert_eq!(
        view.texts("#results li.selected .name").unwrap(),
        ["Zürich"]
    );
    view.form("#search-form", json!({"query": "zur"}))
        .submit()
        .await
        .unwrap();
    assert!(view.has_element_with_text("#city-details h2", "Zürich"));
    assert!(view.has_element_with_text("#city-details", "Europe/Zurich"));
}
