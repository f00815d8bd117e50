//! The chat screen through the harness: two views in one test, on one app and database.

use axum::Router;
use liveview_core::testing::{live, LiveViewTest};
use liveview_core::LiveConfig;
use serde_json::json;
use test_servers::each_database::TestDatabase;

/// The demo on a new database of this kind.
async fn app(database: TestDatabase) -> Router {
    let state = demo_app::AppState::open(&database.fresh_url().await)
        .await
        .unwrap();
    demo_app::router(LiveConfig::default(), state)
}

fn bodies(view: &LiveViewTest) -> Vec<String> {
    view.texts("#messages .body").unwrap()
}

async fn send(view: &mut LiveViewTest, name: &str, message: &str) -> String {
    view.form(
        "form[phx-submit=send]",
        json!({"name": name, "message": message}),
    )
    .submit()
    .await
    .unwrap()
}

async fn a_message_sent_in_one_view_appears_in_the_other(database: TestDatabase) {
    let app = app(database).await;
    let mut ada = live(app.clone(), "/chat?name=ada").await.unwrap();
    let mut bob = live(app, "/chat?name=bob").await.unwrap();
    send(&mut ada, "ada", "hello bob").await;
    assert_eq!(bodies(&ada), ["hello bob"]);
    assert!(ada.has_element("#messages > div[id^=messages-].mine"));
    while bodies(&bob) != ["hello bob"] {
        bob.receive().await.unwrap();
    }
    assert!(!bob.has_element("#messages .mine"), "bob did not write it");
    assert!(bob.has_element_with_text("#messages .author", "ada"));
}

#[tokio::test]
async fn sending_clears_the_input_and_an_empty_message_is_refused() {
    let app = app(TestDatabase::Sqlite).await;
    let mut ada = live(app, "/chat?name=ada").await.unwrap();
    let html = send(&mut ada, "ada", "   ").await;
    assert!(html.contains("Message can&#39;t be blank") || html.contains("Message can't be blank"));
    assert!(bodies(&ada).is_empty(), "nothing was sent");
    send(&mut ada, "ada", "first").await;
    assert!(!ada.has_element("#chat-error"));
    assert!(ada.has_element("input[name=message][value='']"));
    let long = "x".repeat(2001);
    send(&mut ada, "ada", &long).await;
    assert!(ada.has_element_with_text("#chat-error", "at most 2000 character(s)"));
    assert_eq!(bodies(&ada), ["first"]);
}

#[tokio::test]
async fn html_in_a_message_shows_as_text() {
    let app = app(TestDatabase::Sqlite).await;
    let mut ada = live(app, "/chat?name=ada").await.unwrap();
    send(&mut ada, "ada", "<script>alert(1)</script><b>bold</b>").await;
    assert_eq!(bodies(&ada), ["<script>alert(1)</script><b>bold</b>"]);
    assert!(!ada.has_element("#messages script"));
    assert!(!ada.has_element("#messages b"));
}

async fn messages_are_stored_and_shown_to_a_new_page(database: TestDatabase) {
    let app = app(database).await;
    let mut ada = live(app.clone(), "/chat?name=ada").await.unwrap();
    send(&mut ada, "ada", "one").await;
    send(&mut ada, "ada", "two").await;
    let later = live(app, "/chat?name=cy").await.unwrap();
    assert_eq!(bodies(&later), ["one", "two"]);
}

#[tokio::test]
async fn presence_lists_both_and_drops_a_closed_page() {
    let app = app(TestDatabase::Sqlite).await;
    let mut ada = live(app.clone(), "/chat?name=ada").await.unwrap();
    let bob = live(app, "/chat?name=bob").await.unwrap();
    while ada.texts("#online li").unwrap() != ["ada", "bob"] {
        ada.receive().await.unwrap();
    }
    bob.close().await;
    while ada.texts("#online li").unwrap() != ["ada"] {
        ada.receive().await.unwrap();
    }
}

async fn older_messages_load_on_demand_above_the_latest(database: TestDatabase) {
    let app = app(database).await;
    let mut ada = live(app.clone(), "/chat?name=ada").await.unwrap();
    for i in 0..55 {
        send(&mut ada, "ada", &format!("m{i}")).await;
    }
    let mut reader = live(app, "/chat?name=bob").await.unwrap();
    let shown = bodies(&reader);
    assert_eq!(shown.len(), 50);
    assert_eq!(shown[0], "m5");
    reader.element("#load-older", "").click().await.unwrap();
    let shown = bodies(&reader);
    assert_eq!(shown.len(), 55);
    assert_eq!(&shown[..6], ["m0", "m1", "m2", "m3", "m4", "m5"]);
    assert!(!reader.has_element("#load-older"), "nothing older is left");
}

test_servers::test_on_each_database!(
    a_message_sent_in_one_view_appears_in_the_other,
    messages_are_stored_and_shown_to_a_new_page,
    older_messages_load_on_demand_above_the_latest,
);
