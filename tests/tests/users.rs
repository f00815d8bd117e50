//! The user-management screens through the harness: the reference app's `user_live_test`
//! cases (list, create with invalid then valid data, update, delete, show) and a second page
//! following the changes.

use axum::Router;
use liveview_core::testing::live;
use liveview_core::LiveConfig;
use serde_json::json;
use test_servers::each_database::TestDatabase;

/// The demo on a new database of this kind, with one user, and that database.
async fn app(database: TestDatabase) -> (Router, demo_app::Db) {
    let state = demo_app::AppState::open(&database.fresh_url().await)
        .await
        .unwrap();
    let db = state.db.clone();
    let params = demo_app::accounts::UserParams {
        name: "Ada Lovelace".into(),
        email: "ada@example.com".into(),
        password: "Analytical-Engine1".into(),
    };
    demo_app::accounts::create_user(&db, &params).await.unwrap();
    (demo_app::router(LiveConfig::default(), state), db)
}

async fn the_list_shows_every_user_with_actions(database: TestDatabase) {
    let (app, _) = app(database).await;
    let view = live(app, "/users").await.unwrap();
    assert!(view.has_element_with_text("h1", "Listing Users"));
    assert!(view.has_element("tbody#users[phx-update=stream]"));
    assert!(view.has_element_with_text("#users-1", "ada@example.com"));
    assert!(view.has_element_with_text("#users-1 td", "No"));
    assert!(view.has_element("#users-1 a[href='/users/1/edit'][data-phx-link=patch]"));
    assert!(view.has_element("#users-1 a[data-confirm='Are you sure?']"));
    assert!(view.has_element("a[href='/users/new']"));
}

async fn creating_a_user_shows_each_error_then_saves_and_flashes(database: TestDatabase) {
    let (app, _) = app(database).await;
    let mut view = live(app, "/users/new").await.unwrap();
    assert!(view.has_element("form#user-form[phx-change=validate][phx-submit=save]"));
    for name in ["user[name]", "user[email]", "user[password]"] {
        assert!(view.has_element(&format!("#user-form input[name='{name}']")));
    }
    // Changing the email shows only the email's errors.
    view.event(
        "validate",
        json!({"user": {"name": "", "email": "no spaces@x", "password": ""}, "_target": "user[email]"}),
    )
    .await
    .unwrap();
    assert!(view.has_element_with_text("#user-form", "must have the @ sign and no spaces"));
    assert!(!view.has_element_with_text("#user-form", "should be at least 12 character(s)"));
    // A submit shows every error and saves nothing.
    view.form(
        "#user-form",
        json!({"user": {"name": "B", "email": "bob@example.com", "password": "short"}}),
    )
    .submit()
    .await
    .unwrap();
    assert!(view.has_element_with_text("#user-form", "should be at least 2 character(s)"));
    assert!(view.has_element_with_text("#user-form", "should be at least 12 character(s)"));
    assert!(view.has_element_with_text("#user-form", "at least one upper case character"));
    // A taken email says so.
    view.event(
        "validate",
        json!({"user": {"email": "ADA@example.com"}, "_target": "user[email]"}),
    )
    .await
    .unwrap();
    assert!(view.has_element_with_text("#user-form", "has already been taken"));
    view.form(
        "#user-form",
        json!({"user": {"name": "Bob", "email": "bob@example.com", "password": "Difference-Engine2"}}),
    )
    .submit()
    .await
    .unwrap();
    view.assert_patch("/users?page=1").unwrap();
    assert!(!view.has_element("#user-form"), "the modal closed");
    assert!(view.has_element_with_text(".flash", "User created successfully"));
    assert!(view.has_element_with_text("#users-2", "bob@example.com"));
}

async fn editing_a_user_updates_the_row(database: TestDatabase) {
    let (app, _) = app(database).await;
    let mut view = live(app, "/users/1/edit").await.unwrap();
    assert!(view.has_element("#user-form input[name='user[name]'][value='Ada Lovelace']"));
    assert!(!view.has_element("#user-form input[name='user[password]']"));
    view.form("#user-form", json!({"user": {"name": "Ada King"}}))
        .submit()
        .await
        .unwrap();
    assert!(view.has_element_with_text(".flash", "User updated successfully"));
    assert!(view.has_element_with_text("#users-1", "Ada King"));
}

async fn deleting_a_user_removes_the_row_in_every_open_page(database: TestDatabase) {
    let (app, _) = app(database).await;
    let mut first = live(app.clone(), "/users").await.unwrap();
    let mut second = live(app, "/users").await.unwrap();
    first.element("#users-1 a", "Delete").click().await.unwrap();
    assert!(!first.has_element("#users-1"));
    while second.has_element("#users-1") {
        second.receive().await.unwrap();
    }
}

async fn a_user_created_elsewhere_appears_in_an_open_list(database: TestDatabase) {
    let (app, db) = app(database).await;
    let mut view = live(app.clone(), "/users").await.unwrap();
    let mut other = live(app, "/users/new").await.unwrap();
    other
        .form(
            "#user-form",
            json!({"user": {"name": "Grace", "email": "grace@example.com", "password": "Cobol-Compiler59"}}),
        )
        .submit()
        .await
        .unwrap();
    while !view.has_element("#users-2") {
        view.receive().await.unwrap();
    }
    assert!(view.has_element_with_text("#users-2", "grace@example.com"));
    let (users, total) = demo_app::accounts::list_users(&db, None, 1, 20)
        .await
        .unwrap();
    assert_eq!((users.len(), total), (2, 2));
}

async fn show_gives_the_details_and_the_way_back(database: TestDatabase) {
    let (app, _) = app(database).await;
    let view = live(app, "/users/1").await.unwrap();
    assert!(view.has_element_with_text("h1", "Ada Lovelace"));
    assert!(view.has_element_with_text(".user-details", "ada@example.com"));
    assert!(view.has_element("a[href='/users/1/edit']"));
    assert!(view.has_element_with_text("a", "Back to users"));
}

async fn the_search_filters_by_name_or_email(database: TestDatabase) {
    let (app, _) = app(database).await;
    let mut view = live(app, "/users").await.unwrap();
    view.event("search", json!({"q": "nobody"})).await.unwrap();
    view.assert_patch("/users?page=1&q=nobody").unwrap();
    assert!(!view.has_element("#users-1"));
    view.event("search", json!({"q": "LOVE"})).await.unwrap();
    assert!(view.has_element("#users-1"));
}

test_servers::test_on_each_database!(
    the_list_shows_every_user_with_actions,
    creating_a_user_shows_each_error_then_saves_and_flashes,
    editing_a_user_updates_the_row,
    deleting_a_user_removes_the_row_in_every_open_page,
    a_user_created_elsewhere_appears_in_an_open_list,
    show_gives_the_details_and_the_way_back,
    the_search_filters_by_name_or_email,
);
