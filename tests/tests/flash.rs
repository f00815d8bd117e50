//! Flash messages: shown until clicked or timed out, and carried to the next page by
//! `push_navigate` (over the socket) and by `redirect` (a signed cookie).

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request};
use axum::Router;
use liveview_core::maud::{html, Markup};
use liveview_core::testing::live;
use liveview_core::{Live, LiveConfig, LiveView, Params, Result, Session, Socket};
use serde_json::json;
use tower::ServiceExt as _;

struct Form;

#[derive(liveview_core::LiveEvent)]
enum FormEvent {
    Save,
    SaveAndLeave,
}

impl LiveView for Form {
    type Event = FormEvent;
    type Info = ();

    async fn mount(_: Params, _: &Session, _: &mut Socket<Self>) -> Result<Self> {
        Ok(Form)
    }

    async fn handle_event(&mut self, event: FormEvent, socket: &mut Socket<Self>) -> Result<()> {
        socket.put_flash("info", "Saved");
        if let FormEvent::SaveAndLeave = event {
            socket.redirect("/list");
        }
        Ok(())
    }

    fn render(&self) -> Markup {
        html! { h1 { "Form" } }
    }
}

struct List;

impl LiveView for List {
    type Event = ();
    type Info = ();

    async fn mount(_: Params, _: &Session, _: &mut Socket<Self>) -> Result<Self> {
        Ok(List)
    }

    async fn handle_event(&mut self, _: (), _: &mut Socket<Self>) -> Result<()> {
        Ok(())
    }

    fn render(&self) -> Markup {
        html! { h1 { "List" } }
    }
}

fn app(config: LiveConfig) -> Router {
    // Two live sessions: leaving one for the other is a page load.
    let form: Live = Live::new(config.clone());
    let list: Live = Live::new(config);
    Router::new()
        .route("/form", form.view::<Form>())
        .route("/list", list.view::<List>())
        .merge(form.client_routes())
}

fn secret() -> LiveConfig {
    LiveConfig {
        secret_key: Some(b"a shared key of thirty-two bytes!".to_vec()),
        ..LiveConfig::default()
    }
}

#[tokio::test]
async fn a_flash_goes_by_itself_after_the_timeout() {
    let router = app(LiveConfig {
        flash_timeout: Duration::from_millis(50),
        ..secret()
    });
    let mut view = live(router, "/form").await.unwrap();
    let html = view.event("save", json!({})).await.unwrap();
    assert!(html.contains("Saved"));
    let html = view.receive().await.unwrap();
    assert!(!html.contains("Saved"), "{html}");
}

#[tokio::test]
async fn a_flash_stays_while_its_time_is_not_up() {
    let mut view = live(app(secret()), "/form").await.unwrap();
    view.event("save", json!({})).await.unwrap();
    // Another event's render keeps it.
    let html = view.event("save", json!({})).await.unwrap();
    assert!(html.contains("Saved"));
}

#[tokio::test]
async fn a_redirect_carries_the_flash_to_the_next_page_and_its_live_view() {
    let router = app(secret());
    let mut view = live(router.clone(), "/form").await.unwrap();
    view.event("save_and_leave", json!({})).await.unwrap();
    view.assert_redirect("/list").unwrap();
    let next = view.follow_redirect(router).await.unwrap();
    let html = next.render();
    assert!(html.contains("<h1>List</h1>"), "{html}");
    assert!(
        html.contains("Saved"),
        "the joined view shows the flash: {html}"
    );
}

#[tokio::test]
async fn the_page_a_flash_arrives_on_shows_it_once_and_clears_the_cookie() {
    let router = app(secret());
    let mut view = live(router.clone(), "/form").await.unwrap();
    view.event("save_and_leave", json!({})).await.unwrap();
    // The flash cookie, as the client sets it from the redirect.
    let token = view
        .redirect_flash()
        .expect("a flash came with the redirect");
    let cookie = format!("lv_flash={token}");
    let response = router
        .oneshot(
            Request::get("/list")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let set_cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(set_cookie.starts_with("lv_flash=;"), "{set_cookie}");
    assert!(set_cookie.contains("Max-Age=0"), "{set_cookie}");
}

#[tokio::test]
async fn a_forged_flash_cookie_shows_nothing() {
    let response = app(secret())
        .oneshot(
            Request::get("/list")
                .header(header::COOKIE, "lv_flash=eyJtZXNzYWdlcyI6e319.forged")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let page = String::from_utf8(body.to_vec()).unwrap();
    assert!(page.contains("<h1>List</h1>"));
    assert!(!page.contains("flash-info"), "{page}");
}
