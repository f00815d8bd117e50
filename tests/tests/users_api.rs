//! `/api/users` through the demo's real router, one request at a time with `oneshot`: every
//! status and body shape of DEMO.md's "Users JSON API", and the client mistakes that must be
//! a 400 and never a 500.

use std::sync::Arc;
use test_servers::each_database::TestDatabase;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use demo_app::accounts::{UserChange, TOPIC};
use liveview_core::pubsub::{Delivery, LocalPubSub, PubSub, Subscriber, SubscriberId};
use liveview_core::LiveConfig;
use serde_json::{json, Value};
use tower::ServiceExt as _;

const PASSWORD: &str = "SecurePass123!";

/// The demo on a new database of this kind.
async fn app(database: TestDatabase) -> Router {
    let state = demo_app::AppState::open(&database.fresh_url().await)
        .await
        .unwrap();
    demo_app::router(LiveConfig::default(), state)
}

/// A response: status, `location`, `content-type`, and the body as JSON (`Null` when empty).
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    location: Option<String>,
    content_type: Option<String>,
    body: Value,
    raw: String,
}

async fn send(app: &Router, method: Method, uri: &str, body: Option<&str>) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
        .unwrap();
    reply(app, request).await
}

async fn reply(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &axum::http::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let location = header(header::LOCATION);
    let content_type = header(header::CONTENT_TYPE);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let raw = String::from_utf8(bytes.to_vec()).unwrap();
    let body = if raw.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&raw).unwrap_or_else(|e| panic!("not JSON ({e}): {raw}"))
    };
    Reply {
        status,
        location,
        content_type,
        body,
        raw,
    }
}

async fn get(app: &Router, uri: &str) -> Reply {
    send(app, Method::GET, uri, None).await
}

async fn post(app: &Router, body: Value) -> Reply {
    send(app, Method::POST, "/api/users", Some(&body.to_string())).await
}

async fn put(app: &Router, id: i64, body: Value) -> Reply {
    send(
        app,
        Method::PUT,
        &format!("/api/users/{id}"),
        Some(&body.to_string()),
    )
    .await
}

async fn delete(app: &Router, uri: &str) -> Reply {
    send(app, Method::DELETE, uri, None).await
}

/// Creates a user and returns its JSON.
async fn create(app: &Router, name: &str, email: &str) -> Value {
    let reply = post(
        app,
        json!({"user": {"name": name, "email": email, "password": PASSWORD}}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.raw);
    reply.body["data"].clone()
}

fn id_of(user: &Value) -> i64 {
    user["id"].as_i64().unwrap()
}

/// Asserts the user JSON has exactly the contract's keys, and no password anywhere.
fn assert_user_shape(user: &Value) {
    let mut keys: Vec<&str> = user
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "confirmed_at",
            "email",
            "id",
            "inserted_at",
            "is_admin",
            "name"
        ],
        "{user}"
    );
    assert!(user["id"].is_i64());
    assert!(user["is_admin"].is_boolean());
    assert!(user["confirmed_at"].is_null() || user["confirmed_at"].is_string());
    let inserted = user["inserted_at"].as_str().unwrap();
    assert!(
        inserted.len() == 20 && inserted.as_bytes()[10] == b'T' && inserted.ends_with('Z'),
        "{inserted}"
    );
}

fn assert_no_secret(raw: &str) {
    assert!(!raw.contains("password"), "{raw}");
    assert!(!raw.contains("argon2"), "{raw}");
    assert!(!raw.contains(PASSWORD), "{raw}");
}

fn assert_bad_request(reply: &Reply, mentions: &str) {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.raw);
    let error = reply.body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", reply.raw));
    assert!(
        error.contains(mentions),
        "{error:?} should mention {mentions:?}"
    );
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
}

fn assert_not_found(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.raw);
    assert_eq!(reply.body, json!({"errors": {"detail": "Not Found"}}));
}

async fn create_answers_201_with_location_and_the_user(database: TestDatabase) {
    let app = app(database).await;
    let reply = post(
        &app,
        json!({"user": {"name": "Ada Lovelace", "email": "ada@example.com", "password": PASSWORD}}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.raw);
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    let user = &reply.body["data"];
    assert_user_shape(user);
    assert_eq!(reply.location, Some(format!("/api/users/{}", id_of(user))));
    assert_eq!(user["name"], "Ada Lovelace");
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["is_admin"], false);
    assert_eq!(user["confirmed_at"], Value::Null);
    assert_no_secret(&reply.raw);
    // The location serves the same user.
    let shown = get(&app, reply.location.as_deref().unwrap()).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body, json!({"data": user}));
}

async fn create_ignores_fields_a_client_may_not_set(database: TestDatabase) {
    let app = app(database).await;
    let user = post(
        &app,
        json!({"user": {"name": "Eve", "email": "eve@example.com", "password": PASSWORD,
                        "is_admin": true, "confirmed_at": "2020-01-01T00:00:00Z", "id": 42,
                        "hashed_password": "x"}}),
    )
    .await;
    assert_eq!(user.status, StatusCode::CREATED, "{}", user.raw);
    assert_eq!(user.body["data"]["is_admin"], false);
    assert_eq!(user.body["data"]["confirmed_at"], Value::Null);
    assert_ne!(user.body["data"]["id"], 42);
}

async fn create_with_invalid_data_answers_422_with_every_message(database: TestDatabase) {
    let app = app(database).await;
    let reply = post(
        &app,
        json!({"user": {"name": "J", "email": "invalid-email", "password": "short"}}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.body,
        json!({"errors": {
            "email": ["must have the @ sign and no spaces"],
            "name": ["should be at least 2 character(s)"],
            "password": [
                "should be at least 12 character(s)",
                "at least one upper case character",
                "at least one digit or punctuation character"
            ]
        }})
    );
    // Nothing was saved.
    assert_eq!(
        get(&app, "/api/users").await.body["pagination"]["total_count"],
        0
    );
}

async fn each_validation_message_comes_back_on_its_field(database: TestDatabase) {
    let app = app(database).await;
    create(&app, "Taken", "taken@example.com").await;
    let long_email = format!("{}@example.com", "a".repeat(150));
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"name": "Jo", "password": PASSWORD}),
            "email",
            "can't be blank",
        ),
        (
            json!({"name": "Jo", "email": "", "password": PASSWORD}),
            "email",
            "can't be blank",
        ),
        (
            json!({"name": "Jo", "email": "jo example.com", "password": PASSWORD}),
            "email",
            "must have the @ sign and no spaces",
        ),
        (
            json!({"name": "Jo", "email": long_email, "password": PASSWORD}),
            "email",
            "should be at most 160 character(s)",
        ),
        (
            json!({"name": "Jo", "email": "TAKEN@example.com", "password": PASSWORD}),
            "email",
            "has already been taken",
        ),
        (
            json!({"email": "jo@example.com", "password": PASSWORD}),
            "name",
            "can't be blank",
        ),
        (
            json!({"name": "J", "email": "jo@example.com", "password": PASSWORD}),
            "name",
            "should be at least 2 character(s)",
        ),
        (
            json!({"name": "x".repeat(101), "email": "jo@example.com", "password": PASSWORD}),
            "name",
            "should be at most 100 character(s)",
        ),
        (
            json!({"name": "Jo", "email": "jo@example.com"}),
            "password",
            "can't be blank",
        ),
        (
            json!({"name": "Jo", "email": "jo@example.com", "password": "Short1!"}),
            "password",
            "should be at least 12 character(s)",
        ),
        (
            json!({"name": "Jo", "email": "jo@example.com", "password": format!("Aa1{}", "x".repeat(70))}),
            "password",
            "should be at most 72 character(s)",
        ),
        (
            json!({"name": "Jo", "email": "jo@example.com", "password": "ALLUPPERCASE123"}),
            "password",
            "at least one lower case character",
        ),
        (
            json!({"name": "Jo", "email": "jo@example.com", "password": "alllowercase123"}),
            "password",
            "at least one upper case character",
        ),
        (
            json!({"name": "Jo", "email": "jo@example.com", "password": "NoDigitsOrPunctuation"}),
            "password",
            "at least one digit or punctuation character",
        ),
        (
            json!({"name": 12, "email": "jo@example.com", "password": PASSWORD}),
            "name",
            "is invalid",
        ),
        (
            json!({"name": "Jo", "email": ["jo@example.com"], "password": PASSWORD}),
            "email",
            "is invalid",
        ),
    ];
    for (user, field, message) in cases {
        let reply = post(&app, json!({ "user": user })).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{user}: {}",
            reply.raw
        );
        assert_eq!(reply.body, json!({"errors": {field: [message]}}), "{user}");
    }
    assert_eq!(
        get(&app, "/api/users").await.body["pagination"]["total_count"],
        1
    );
}

async fn two_creates_racing_with_one_email_get_201_and_422(database: TestDatabase) {
    let app = app(database).await;
    let body = |name: &str, email: &str| json!({"user": {"name": name, "email": email, "password": PASSWORD}});
    let (a, b) = tokio::join!(
        post(&app, body("Racer A", "race@example.com")),
        post(&app, body("Racer B", "Race@Example.com"))
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::UNPROCESSABLE_ENTITY],
        "{} {}",
        a.raw,
        b.raw
    );
    let loser = if a.status == StatusCode::CREATED {
        b
    } else {
        a
    };
    assert_eq!(
        loser.body,
        json!({"errors": {"email": ["has already been taken"]}})
    );
}

async fn show_answers_200_or_404(database: TestDatabase) {
    let app = app(database).await;
    let user = create(&app, "Ada", "ada@example.com").await;
    let id = id_of(&user);
    let reply = get(&app, &format!("/api/users/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_user_shape(&reply.body["data"]);
    assert_eq!(reply.body, json!({"data": user}));
    assert_no_secret(&reply.raw);
    assert_not_found(&get(&app, &format!("/api/users/{}", id + 1)).await);
    assert_not_found(&get(&app, "/api/users/0").await);
    assert_not_found(&get(&app, "/api/users/-5").await);
}

async fn index_lists_users_by_id_with_pagination(database: TestDatabase) {
    let app = app(database).await;
    let empty = get(&app, "/api/users").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(
        empty.body,
        json!({"data": [], "pagination": {"page": 1, "per_page": 20, "total_count": 0, "total_pages": 0}})
    );
    let mut users = Vec::new();
    for i in 0..5 {
        users.push(create(&app, &format!("User {i}"), &format!("u{i}@example.com")).await);
    }
    let all = get(&app, "/api/users?page=1&per_page=20").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body["data"], json!(users));
    for user in all.body["data"].as_array().unwrap() {
        assert_user_shape(user);
    }
    assert_no_secret(&all.raw);
    assert_eq!(
        all.body["pagination"],
        json!({"page": 1, "per_page": 20, "total_count": 5, "total_pages": 1})
    );
    let page2 = get(&app, "/api/users?page=2&per_page=2").await;
    assert_eq!(page2.body["data"], json!(users[2..4]));
    assert_eq!(
        page2.body["pagination"],
        json!({"page": 2, "per_page": 2, "total_count": 5, "total_pages": 3})
    );
    let page3 = get(&app, "/api/users?page=3&per_page=2").await;
    assert_eq!(page3.body["data"], json!(users[4..]));
    // Past the end: an empty page, not an error.
    let past = get(&app, "/api/users?page=9&per_page=2").await;
    assert_eq!(past.status, StatusCode::OK);
    assert_eq!(past.body["data"], json!([]));
    assert_eq!(past.body["pagination"]["total_count"], 5);
    // The largest per_page is fine.
    assert_eq!(
        get(&app, "/api/users?per_page=100").await.status,
        StatusCode::OK
    );
    // Unknown params are ignored.
    assert_eq!(
        get(&app, "/api/users?sort=name").await.status,
        StatusCode::OK
    );
}

async fn index_searches_name_and_email(database: TestDatabase) {
    let app = app(database).await;
    let ada = create(&app, "Ada Lovelace", "ada@example.com").await;
    create(&app, "Alan Turing", "alan@computing.org").await;
    let found = get(&app, "/api/users?search=LOVELACE").await;
    assert_eq!(found.body["data"], json!([ada]));
    assert_eq!(found.body["pagination"]["total_count"], 1);
    let found = get(&app, "/api/users?search=computing").await;
    assert_eq!(found.body["data"][0]["name"], "Alan Turing");
    assert_eq!(
        get(&app, "/api/users?search=nobody").await.body["pagination"]["total_count"],
        0
    );
}

#[tokio::test]
async fn bad_page_numbers_answer_400() {
    let app = app(TestDatabase::Sqlite).await;
    for (query, mentions) in [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=", "page"),
        ("page=1.5", "page"),
        ("page=99999999999999999999", "page"),
        ("per_page=0", "per_page"),
        ("per_page=-1", "per_page"),
        ("per_page=abc", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=1000000", "per_page"),
        ("page=1&page=2", "query"),
    ] {
        let reply = get(&app, &format!("/api/users?{query}")).await;
        assert_bad_request(&reply, mentions);
    }
}

async fn update_answers_200_422_or_404(database: TestDatabase) {
    let app = app(database).await;
    let user = create(&app, "Ada", "ada@example.com").await;
    let other = create(&app, "Bob", "bob@example.com").await;
    let id = id_of(&user);
    let reply = put(
        &app,
        id,
        json!({"user": {"name": "Ada L.", "email": "ada@lovelace.org"}}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.raw);
    assert_user_shape(&reply.body["data"]);
    assert_eq!(reply.body["data"]["name"], "Ada L.");
    assert_eq!(reply.body["data"]["email"], "ada@lovelace.org");
    assert_eq!(reply.body["data"]["inserted_at"], user["inserted_at"]);
    assert_no_secret(&reply.raw);
    assert_eq!(
        get(&app, &format!("/api/users/{id}")).await.body,
        reply.body
    );
    // Only the fields sent change.
    let reply = put(&app, id, json!({"user": {"name": "Ada"}})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["data"]["email"], "ada@lovelace.org");
    // A new, valid password is accepted; a weak one is not.
    let reply = put(&app, id, json!({"user": {"password": "AnotherPass456?"}})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.raw);
    let reply = put(&app, id, json!({"user": {"password": "weak"}})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.body["errors"]["password"][0],
        "should be at least 12 character(s)"
    );
    // Invalid: 422 with the messages, nothing changed.
    let reply = put(&app, id, json!({"user": {"name": "", "email": "nope"}})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.body,
        json!({"errors": {"email": ["must have the @ sign and no spaces"], "name": ["can't be blank"]}})
    );
    let reply = put(&app, id, json!({"user": {"email": other["email"]}})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.body,
        json!({"errors": {"email": ["has already been taken"]}})
    );
    let reply = put(&app, id, json!({"user": {"name": {"first": "Ada"}}})).await;
    assert_eq!(reply.body, json!({"errors": {"name": ["is invalid"]}}));
    let now = get(&app, &format!("/api/users/{id}")).await.body;
    assert_eq!(now["data"]["name"], "Ada");
    assert_eq!(now["data"]["email"], "ada@lovelace.org");
    // Its own email, in another case, is not taken.
    let reply = put(&app, id, json!({"user": {"email": "ADA@lovelace.org"}})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.raw);
    // Unknown id.
    assert_not_found(&put(&app, 999, json!({"user": {"name": "Nobody"}})).await);
}

async fn delete_answers_204_then_404(database: TestDatabase) {
    let app = app(database).await;
    let user = create(&app, "Ada", "ada@example.com").await;
    let uri = format!("/api/users/{}", id_of(&user));
    let reply = delete(&app, &uri).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.raw.is_empty());
    assert_not_found(&get(&app, &uri).await);
    assert_not_found(&delete(&app, &uri).await);
    assert_eq!(
        get(&app, "/api/users").await.body["pagination"]["total_count"],
        0
    );
}

#[tokio::test]
async fn a_non_numeric_id_answers_400() {
    let app = app(TestDatabase::Sqlite).await;
    for id in ["abc", "1.5", "1e3", "99999999999999999999", "%20"] {
        let uri = format!("/api/users/{id}");
        assert_bad_request(&get(&app, &uri).await, "id");
        assert_bad_request(&delete(&app, &uri).await, "id");
        let reply = send(&app, Method::PUT, &uri, Some(r#"{"user":{"name":"Jo"}}"#)).await;
        assert_bad_request(&reply, "id");
    }
}

#[tokio::test]
async fn malformed_bodies_answer_400() {
    let app = app(TestDatabase::Sqlite).await;
    let user = create(&app, "Ada", "ada@example.com").await;
    let put_uri = format!("/api/users/{}", id_of(&user));
    for (method, uri) in [
        (Method::POST, "/api/users"),
        (Method::PUT, put_uri.as_str()),
    ] {
        for (body, mentions) in [
            ("{", "malformed JSON"),
            ("{\"user\": {\"name\": \"Jo\",}}", "malformed JSON"),
            ("", "malformed JSON"),
            ("not json", "malformed JSON"),
            ("{}", "\"user\""),
            ("{\"name\": \"Jo\"}", "\"user\""),
            ("{\"user\": \"Jo\"}", "\"user\""),
            ("{\"user\": null}", "\"user\""),
            ("{\"user\": [1]}", "\"user\""),
            ("[]", "JSON object"),
            ("42", "JSON object"),
        ] {
            let reply = send(&app, method.clone(), uri, Some(body)).await;
            assert_bad_request(&reply, mentions);
        }
        // No content type, or another one.
        let request = Request::builder()
            .method(method.clone())
            .uri(uri)
            .body(Body::from(r#"{"user":{"name":"Jo"}}"#))
            .unwrap();
        assert_bad_request(&reply(&app, request).await, "content-type");
        let request = Request::builder()
            .method(method.clone())
            .uri(uri)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from(r#"{"user":{"name":"Jo"}}"#))
            .unwrap();
        assert_bad_request(&reply(&app, request).await, "content-type");
        // A form post is not JSON either.
        let request = Request::builder()
            .method(method.clone())
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("user[name]=Jo"))
            .unwrap();
        assert_bad_request(&reply(&app, request).await, "content-type");
    }
    // A JSON content type with a charset is still JSON.
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/users")
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(
            json!({"user": {"name": "Bob", "email": "bob@example.com", "password": PASSWORD}})
                .to_string(),
        ))
        .unwrap();
    assert_eq!(reply(&app, request).await.status, StatusCode::CREATED);
    // Nothing else was created or changed.
    let list = get(&app, "/api/users").await;
    assert_eq!(list.body["pagination"]["total_count"], 2);
    assert_eq!(list.body["data"][0], user);
}

#[tokio::test]
async fn other_methods_are_not_allowed() {
    let app = app(TestDatabase::Sqlite).await;
    let reply = send(&app, Method::PATCH, "/api/users", Some("{}")).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    let reply = send(&app, Method::POST, "/api/users/1", Some("{}")).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
}

/// Collects the `UserChange`s broadcast on the `users` topic.
fn listen(pubsub: &LocalPubSub) -> tokio::sync::mpsc::UnboundedReceiver<UserChange> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    pubsub.subscribe(
        TOPIC,
        Subscriber::new(SubscriberId::next(), move |message| {
            match message.get::<UserChange>() {
                Some(change) => match tx.send(change) {
                    Ok(()) => Delivery::Queued,
                    Err(_) => Delivery::Closed,
                },
                None => Delivery::Skipped,
            }
        }),
    );
    rx
}

async fn every_save_is_broadcast_on_the_users_topic(database: TestDatabase) {
    let state = demo_app::AppState::open(&database.fresh_url().await)
        .await
        .unwrap();
    let local = Arc::new(LocalPubSub::new());
    let mut changes = listen(&local);
    let pubsub: Arc<dyn PubSub> = local.clone();
    let app = demo_app::users_api::routes(state.db.clone(), pubsub);
    let user = create(&app, "Ada", "ada@example.com").await;
    let id = id_of(&user);
    match changes.try_recv().unwrap() {
        UserChange::Created(created) => {
            assert_eq!(created.id, id);
            assert_eq!(created.email, "ada@example.com");
        }
        other => panic!("expected Created, got {other:?}"),
    }
    assert_eq!(
        put(&app, id, json!({"user": {"name": "Ada L."}}))
            .await
            .status,
        StatusCode::OK
    );
    match changes.try_recv().unwrap() {
        UserChange::Updated(updated) => {
            assert_eq!((updated.id, updated.name.as_str()), (id, "Ada L."))
        }
        other => panic!("expected Updated, got {other:?}"),
    }
    assert_eq!(
        delete(&app, &format!("/api/users/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(changes.try_recv().unwrap(), UserChange::Deleted(id));
    // Failures broadcast nothing.
    post(&app, json!({"user": {}})).await;
    put(&app, id, json!({"user": {"name": "X"}})).await;
    delete(&app, &format!("/api/users/{id}")).await;
    assert!(changes.try_recv().is_err());
}

async fn a_database_failure_is_a_500_without_details(database: TestDatabase) {
    let state = demo_app::AppState::open(&database.fresh_url().await)
        .await
        .unwrap();
    let db = state.db.clone();
    let app = demo_app::router(LiveConfig::default(), state);
    db.close().await;
    let reply = get(&app, "/api/users").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        reply.body,
        json!({"errors": {"detail": "Internal Server Error"}})
    );
}

test_servers::test_on_each_database!(
    create_answers_201_with_location_and_the_user,
    create_ignores_fields_a_client_may_not_set,
    create_with_invalid_data_answers_422_with_every_message,
    each_validation_message_comes_back_on_its_field,
    two_creates_racing_with_one_email_get_201_and_422,
    show_answers_200_or_404,
    index_lists_users_by_id_with_pagination,
    index_searches_name_and_email,
    update_answers_200_422_or_404,
    delete_answers_204_then_404,
    every_save_is_broadcast_on_the_users_topic,
    a_database_failure_is_a_500_without_details,
);
