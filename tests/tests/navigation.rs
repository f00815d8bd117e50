//! Live navigation in one live session (`Live::routes`): patches between one view's routes
//! carry each route's own path parameters; navigation between views happens over the same
//! socket, with the flash carried along; anything outside the session is a page load.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::Router;
use liveview_core::maud::{html, Markup};
use liveview_core::testing::{live, LiveViewTest};
use liveview_core::{Live, LiveConfig, LiveView, Params, Result, Session, Socket};
use serde_json::json;

/// A list at `/things` and one thing at `/things/{id}`, in one view.
struct Things {
    shown: Option<String>,
    left: Option<Arc<AtomicUsize>>,
}

#[derive(liveview_core::LiveEvent)]
enum ThingsEvent {
    Open { id: String },
    Leave,
    LeaveSession,
    PatchToNotes,
}

impl LiveView for Things {
    type Event = ThingsEvent;
    type Info = ();

    async fn mount(_: Params, _: &Session, socket: &mut Socket<Self>) -> Result<Self> {
        let left = socket
            .connected()
            .then(|| socket.extension::<Left>().map(|l| l.0.clone()));
        Ok(Things {
            shown: None,
            left: left.flatten(),
        })
    }

    async fn handle_params(
        &mut self,
        params: Params,
        _: &axum::http::Uri,
        _: &mut Socket<Self>,
    ) -> Result<()> {
        self.shown = params.get("id").map(str::to_owned);
        Ok(())
    }

    async fn handle_event(&mut self, event: ThingsEvent, socket: &mut Socket<Self>) -> Result<()> {
        match event {
            ThingsEvent::Open { id } => socket.push_patch(format!("/things/{id}")),
            ThingsEvent::Leave => {
                socket.put_flash("info", "Thing saved");
                socket.push_navigate("/notes");
            }
            ThingsEvent::LeaveSession => socket.push_navigate("/elsewhere"),
            ThingsEvent::PatchToNotes => socket.push_patch("/notes"),
        }
        Ok(())
    }

    fn render(&self) -> Markup {
        html! {
            @match &self.shown {
                Some(id) => h1 { "Thing " (id) },
                None => h1 { "All things" },
            }
        }
    }
}

impl Drop for Things {
    fn drop(&mut self) {
        if let Some(left) = &self.left {
            left.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// How many connected `Things` views have ended.
#[derive(Clone, Default)]
struct Left(Arc<AtomicUsize>);

struct Notes;

impl LiveView for Notes {
    type Event = ();
    type Info = ();

    async fn mount(_: Params, _: &Session, _: &mut Socket<Self>) -> Result<Self> {
        Ok(Notes)
    }

    async fn handle_event(&mut self, _: (), _: &mut Socket<Self>) -> Result<()> {
        Ok(())
    }

    fn render(&self) -> Markup {
        html! { h1 { "Notes" } }
    }
}

fn app(left: &Left) -> Router {
    let live: Live = Live::new(LiveConfig::default()).with_extension(left.clone());
    live.routes()
        .view::<Things>("/things")
        .view::<Things>("/things/{id}")
        .view::<Notes>("/notes")
        .into_router()
}

async fn things() -> (LiveViewTest, Left) {
    let left = Left::default();
    let view = live(app(&left), "/things").await.unwrap();
    (view, left)
}

#[tokio::test]
async fn a_patch_to_another_route_of_the_view_gets_that_routes_path_parameters() {
    let (mut view, _) = things().await;
    assert!(view.render().contains("All things"));
    let html = view.event("open", json!({"id": "7"})).await.unwrap();
    view.assert_patch("/things/7").unwrap();
    assert!(html.contains("Thing 7"), "{html}");
}

#[tokio::test]
async fn a_page_loaded_at_a_routes_url_mounts_with_its_parameters() {
    let view = live(app(&Left::default()), "/things/3").await.unwrap();
    assert!(view.render().contains("Thing 3"));
}

#[tokio::test]
async fn push_navigate_switches_views_over_the_same_socket_and_carries_the_flash() {
    let (mut view, left) = things().await;
    view.event("leave", json!({})).await.unwrap();
    view.assert_redirect("/notes").unwrap();
    let html = view.follow_navigate().await.unwrap();
    assert!(html.contains("<h1>Notes</h1>"), "{html}");
    assert!(html.contains("Thing saved"), "the flash came along: {html}");
    assert_eq!(left.0.load(Ordering::SeqCst), 1, "the old view ended");
}

#[tokio::test]
async fn a_navigate_link_to_a_view_of_the_session_joins_it_over_the_socket() {
    let (mut view, _) = things().await;
    let html = view.navigate("/notes").await.unwrap();
    assert!(html.contains("<h1>Notes</h1>"));
    // And back: a navigation, since /things is another view's route now.
    let html = view.navigate("/things/5").await.unwrap();
    assert!(html.contains("Thing 5"), "{html}");
}

#[tokio::test]
async fn a_patch_to_another_views_route_becomes_a_navigation() {
    let (mut view, _) = things().await;
    view.event("patch_to_notes", json!({})).await.unwrap();
    assert_eq!(view.patched_to(), None, "not a patch");
    let html = view.follow_navigate().await.unwrap();
    assert!(html.contains("<h1>Notes</h1>"));
}

#[tokio::test]
async fn push_navigate_outside_the_session_is_a_page_load() {
    let (mut view, _) = things().await;
    view.event("leave_session", json!({})).await.unwrap();
    view.assert_redirect("/elsewhere").unwrap();
    assert!(
        view.follow_navigate().await.is_err(),
        "a redirect, not a navigate"
    );
}

#[tokio::test]
async fn a_navigate_join_outside_the_session_is_answered_with_a_redirect() {
    let (mut view, _) = things().await;
    let error = view.navigate("/elsewhere").await.unwrap_err();
    assert!(error.0.contains("outside the live session"), "{error}");
}

#[tokio::test]
async fn a_view_reached_by_navigation_gets_its_own_token_for_a_later_rejoin() {
    let left = Left::default();
    let router = app(&left);
    let mut view = live(router.clone(), "/things").await.unwrap();
    view.navigate("/notes").await.unwrap();
    // The page's token names the first view; the one the join reply carried names Notes
    // and joins on Notes' own route, as the browser does after a reconnect.
    let rejoined = view.reconnect().await.unwrap();
    assert!(rejoined.contains("<h1>Notes</h1>"), "{rejoined}");
}
