//! The test harness, Phoenix.LiveViewTest for Rust (feature `testing`).
//!
//! [`live`] does what a browser does: it requests the page from your router, serves the
//! router on a loopback port, joins the view over a real websocket, and keeps the view's
//! fragments exactly as the JS client would, applying every patch the server sends. You
//! then query the HTML with CSS selectors and click, change and submit like a user.
//!
//! ```no_run
//! # async fn example(router: axum::Router) {
//! use liveview_core::testing::live;
//!
//! let mut view = live(router, "/counter").await.unwrap();
//! assert!(view.render().contains("Counter: 0"));
//! view.element("button", "+").click().await.unwrap();
//! assert!(view.has_element_with_text("h1", "Counter: 1"));
//! # }
//! ```

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use futures_util::{SinkExt as _, StreamExt as _};
use scraper::{ElementRef, Html, Selector};
use serde::Deserialize as _;
use serde_json::{Map, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tower::ServiceExt as _;

use crate::flash::FLASH_COOKIE;
use crate::protocol::{frame_kind, ReplyMeta};
use crate::render::{Diff, FragmentStore};

/// How long the harness waits for any one reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// A failed expectation or a broken exchange, with a message that says which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestError(pub String);

impl std::fmt::Display for TestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TestError {}

/// An element found in the view: its outer HTML and its attributes.
type Found = (String, Map<String, Value>);

fn fail<T>(message: impl Into<String>) -> Result<T, TestError> {
    Err(TestError(message.into()))
}

/// A connected view under test.
#[derive(Debug)]
pub struct LiveViewTest {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    document: FragmentStore,
    html: String,
    next_ref: u64,
    path: String,
    patched: Option<String>,
    navigated: Option<String>,
    /// The last `navigate` the server asked for (a view of the live session to join).
    navigate_to: Option<String>,
    /// The last `redirect` (a page load), and the signed flash that went with it.
    redirected: Option<String>,
    redirect_flash: Option<String>,
    events: Vec<(String, Value)>,
    /// The page's session token, replaced by the one a navigated-to view sends.
    token: String,
    /// `http://127.0.0.1:PORT`, to make the URLs a browser would send.
    origin: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for LiveViewTest {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The page as served without JavaScript (the dead render).
pub async fn dead_render(router: Router, path: &str) -> Result<String, TestError> {
    dead_render_with_cookie(router, path, None).await
}

/// The dead render of a request that carries a `Cookie` header.
async fn dead_render_with_cookie(
    router: Router,
    path: &str,
    cookie: Option<&str>,
) -> Result<String, TestError> {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(axum::http::header::COOKIE, cookie);
    }
    let request = request
        .body(Body::empty())
        .map_err(|e| TestError(e.to_string()))?;
    let response = router
        .oneshot(request)
        .await
        .map_err(|e| TestError(e.to_string()))?;
    if !response.status().is_success() {
        return fail(format!("GET {path} answered {}", response.status()));
    }
    let body = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .map_err(|e| TestError(e.to_string()))?;
    String::from_utf8(body.to_vec()).map_err(|e| TestError(e.to_string()))
}

/// The session token a page hands its live view (`data-phx-session` on the
/// `data-phx-main` container), or `None` when the page has no live view.
///
/// With [`join_frame`], this is all a raw websocket client (a protocol test, a load
/// generator) needs to join a view the way the browser does.
///
/// ```
/// use liveview_core::testing::session_token;
///
/// let page = r#"<div id="phx-root" data-phx-main data-phx-session="abc.def">hi</div>"#;
/// assert_eq!(session_token(page).as_deref(), Some("abc.def"));
/// assert_eq!(session_token("<p>static</p>"), None);
/// ```
pub fn session_token(page: &str) -> Option<String> {
    let page = Html::parse_document(page);
    let container = Selector::parse("[data-phx-main]").expect("a valid selector");
    let root = page.select(&container).next()?;
    Some(root.value().attr("data-phx-session")?.to_owned())
}

/// The join frame (protocol §2) a client sends first on its websocket.
///
/// ```
/// use liveview_core::testing::join_frame;
///
/// assert_eq!(
///     join_frame(1, "abc.def", "http://127.0.0.1:4000/counter"),
///     r#"[1,"join",{"session":"abc.def","url":"http://127.0.0.1:4000/counter"}]"#
/// );
/// ```
pub fn join_frame(reference: u64, token: &str, url: &str) -> String {
    serde_json::json!([reference, frame_kind::JOIN, { "session": token, "url": url }]).to_string()
}

/// Renders `path` like a browser's first request, then joins its view over a websocket.
pub async fn live(router: Router, path: &str) -> Result<LiveViewTest, TestError> {
    live_with_cookie(router, path, None).await
}

async fn live_with_cookie(
    router: Router,
    path: &str,
    cookie: Option<&str>,
) -> Result<LiveViewTest, TestError> {
    let page = dead_render_with_cookie(router.clone(), path, cookie).await?;
    let Some(token) = session_token(&page) else {
        return fail(format!(
            "GET {path} has no [data-phx-main] container: not a live view"
        ));
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| TestError(format!("bind: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| TestError(e.to_string()))?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}{path}?vsn=1"))
        .await
        .map_err(|e| TestError(format!("websocket connect: {e}")))?;
    let mut view = LiveViewTest {
        ws,
        document: FragmentStore::new(),
        html: String::new(),
        next_ref: 1,
        path: path.to_owned(),
        patched: None,
        navigated: None,
        navigate_to: None,
        redirected: None,
        redirect_flash: None,
        events: Vec::new(),
        token: token.clone(),
        origin: format!("http://{addr}"),
        server,
    };
    let reference = view.take_ref();
    let join = join_frame(reference, &token, &format!("http://{addr}{path}"));
    view.send_and_await(join, reference).await?;
    Ok(view)
}

impl LiveViewTest {
    /// Closes the socket the way a closing browser tab does: with a close frame, so the
    /// view ends at once. (Dropping a `LiveViewTest` instead is a lost connection: the view
    /// waits out the resume grace period first.)
    ///
    /// ```no_run
    /// # async fn example(view: liveview_core::testing::LiveViewTest) {
    /// view.close().await;
    /// # }
    /// ```
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        // The server answers the close; waiting for it means the view has ended.
        while let Ok(Some(Ok(_))) = tokio::time::timeout(REPLY_TIMEOUT, self.ws.next()).await {}
    }

    /// The view's current HTML (the children of the live container).
    pub fn render(&self) -> String {
        self.html.clone()
    }

    /// True when some element matches `selector`.
    pub fn has_element(&self, selector: &str) -> bool {
        self.count(selector, "") > 0
    }

    /// True when some element matching `selector` contains `text`.
    pub fn has_element_with_text(&self, selector: &str, text: &str) -> bool {
        self.count(selector, text) > 0
    }

    /// The text of every element matching `selector`, in document order.
    pub fn texts(&self, selector: &str) -> Result<Vec<String>, TestError> {
        Ok(self
            .matching(selector, "")?
            .into_iter()
            .map(|(html, _)| element_text(&Html::parse_fragment(&html).root_element()))
            .collect())
    }

    fn count(&self, css: &str, text: &str) -> usize {
        self.matching(css, text).map_or(0, |found| found.len())
    }

    /// Elements matching `css` whose text contains `text` (`""` for any): each element's
    /// outer HTML and attributes.
    fn matching(&self, css: &str, text: &str) -> Result<Vec<Found>, TestError> {
        let sel = selector(css)?;
        let fragment = Html::parse_fragment(&self.html);
        let found = fragment
            .select(&sel)
            .filter(|e| element_text(e).contains(text))
            .map(|e| {
                let attrs = e
                    .value()
                    .attrs()
                    .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
                    .collect();
                (e.html(), attrs)
            })
            .collect();
        Ok(found)
    }

    /// The one element matching `selector` whose text contains `text` (use `""` for any).
    pub fn element<'a>(&'a mut self, selector: &str, text: &str) -> Element<'a> {
        Element {
            view: self,
            selector: selector.to_owned(),
            text: text.to_owned(),
        }
    }

    /// The form matching `selector`, to be filled with `values` (nested like the client
    /// serialises them: `{"user": {"email": "..."}}`) on top of its current fields.
    pub fn form<'a>(&'a mut self, selector: &str, values: Value) -> Form<'a> {
        Form {
            view: self,
            selector: selector.to_owned(),
            values,
        }
    }

    /// Sends an event by name, as a binding would, and returns the HTML after the reply.
    pub async fn event(&mut self, name: &str, value: Value) -> Result<String, TestError> {
        let reference = self.take_ref();
        let frame = serde_json::json!([reference, frame_kind::EVENT, name, value]);
        self.send_and_await(frame.to_string(), reference).await?;
        Ok(self.render())
    }

    /// Waits for the next update the server pushes by itself (timer, message) and
    /// returns the HTML after it.
    pub async fn receive(&mut self) -> Result<String, TestError> {
        self.read_until(0).await?;
        Ok(self.render())
    }

    /// The URL the view last patched itself to (`push_patch`), if any.
    pub fn patched_to(&self) -> Option<&str> {
        self.patched.as_deref()
    }

    /// Fails unless the last patch went to `path`.
    pub fn assert_patch(&self, path: &str) -> Result<(), TestError> {
        match &self.patched {
            Some(p) if p == path => Ok(()),
            other => fail(format!("expected a patch to {path}, got {other:?}")),
        }
    }

    /// Fails unless the view asked the browser to navigate or redirect to `path`.
    pub fn assert_redirect(&self, path: &str) -> Result<(), TestError> {
        match &self.navigated {
            Some(p) if p == path => Ok(()),
            other => fail(format!("expected a redirect to {path}, got {other:?}")),
        }
    }

    /// Moves to the view at `path` over the same socket, as a navigate link does (a join
    /// for the new URL), and returns its HTML. A path outside the live session fails, as
    /// the browser would load it as a new page.
    ///
    /// ```no_run
    /// # async fn example(mut view: liveview_core::testing::LiveViewTest) -> Result<(), liveview_core::testing::TestError> {
    /// let html = view.navigate("/users/7").await?;
    /// assert!(html.contains("Show User"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn navigate(&mut self, path: &str) -> Result<String, TestError> {
        let reference = self.take_ref();
        let url = format!("{}{path}", self.origin);
        let join =
            serde_json::json!([reference, frame_kind::JOIN, { "session": self.token, "url": url }]);
        self.document = FragmentStore::new();
        self.navigated = None;
        self.path = path.to_owned();
        self.send_and_await(join.to_string(), reference).await?;
        if let Some(left) = self.navigated.take() {
            return fail(format!(
                "{path} is outside the live session: redirected to {left}"
            ));
        }
        Ok(self.render())
    }

    /// Drops the socket (a lost connection) and joins again on a new one at the current
    /// path with the page's current token, without resuming: a fresh mount, as after a
    /// server restart. Returns the new HTML.
    pub async fn reconnect(&mut self) -> Result<String, TestError> {
        let address = self.origin.trim_start_matches("http://");
        let (ws, _) =
            tokio_tungstenite::connect_async(format!("ws://{address}{}?vsn=1", self.path))
                .await
                .map_err(|e| TestError(format!("websocket connect: {e}")))?;
        self.ws = ws;
        self.document = FragmentStore::new();
        let reference = self.take_ref();
        let url = format!("{}{}", self.origin, self.path);
        self.send_and_await(join_frame(reference, &self.token, &url), reference)
            .await?;
        Ok(self.render())
    }

    /// Follows the last `push_navigate` (or a patch to another view's route) the way the
    /// client does: joins that view over the same socket. Fails when there was none.
    pub async fn follow_navigate(&mut self) -> Result<String, TestError> {
        let Some(url) = self.navigate_to.take() else {
            return fail("the view asked for no navigation");
        };
        let path = url.strip_prefix(&self.origin).unwrap_or(&url).to_owned();
        self.navigate(&path).await
    }

    /// Follows the last `redirect` as the browser does: a page load of its URL (with the
    /// flash cookie the client sets when the redirect carries a flash), then a join.
    ///
    /// ```no_run
    /// # async fn example(view: liveview_core::testing::LiveViewTest, app: axum::Router) -> Result<(), liveview_core::testing::TestError> {
    /// let next = view.follow_redirect(app).await?;
    /// assert!(next.render().contains("User created"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn follow_redirect(&self, router: Router) -> Result<LiveViewTest, TestError> {
        let Some(url) = &self.redirected else {
            return fail("the view asked for no redirect");
        };
        let path = url.strip_prefix(&self.origin).unwrap_or(url);
        let cookie = self
            .redirect_flash
            .as_ref()
            .map(|token| format!("{FLASH_COOKIE}={token}"));
        live_with_cookie(router, path, cookie.as_deref()).await
    }

    /// The signed flash that came with the last redirect, if any (the client puts it in the
    /// `lv_flash` cookie).
    pub fn redirect_flash(&self) -> Option<&str> {
        self.redirect_flash.as_deref()
    }

    /// Events the view pushed (`push_event`), oldest first, drained.
    pub fn take_pushed_events(&mut self) -> Vec<(String, Value)> {
        std::mem::take(&mut self.events)
    }

    fn take_ref(&mut self) -> u64 {
        self.next_ref += 1;
        self.next_ref - 1
    }

    async fn send_and_await(&mut self, frame: String, reference: u64) -> Result<(), TestError> {
        self.ws
            .send(Message::text(frame))
            .await
            .map_err(|e| TestError(format!("send: {e}")))?;
        self.read_until(reference).await
    }

    /// Reads frames, applying each, until the one answering `reference`.
    async fn read_until(&mut self, reference: u64) -> Result<(), TestError> {
        loop {
            let message = tokio::time::timeout(REPLY_TIMEOUT, self.ws.next())
                .await
                .map_err(|_| {
                    TestError(format!("{}: no reply within {REPLY_TIMEOUT:?}", self.path))
                })?;
            let text = match message {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(frame))) => {
                    return fail(format!("socket closed: {frame:?}"))
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return fail(format!("socket error: {e}")),
                None => return fail("socket closed"),
            };
            let frame: Vec<Value> = serde_json::from_str(text.as_str())
                .map_err(|e| TestError(format!("server sent a malformed frame {text}: {e}")))?;
            let got = frame.first().and_then(Value::as_u64).unwrap_or_default();
            if let Some(diff) = frame.get(1).filter(|d| !d.is_null()) {
                let diff = Diff::from_json(diff).map_err(|e| TestError(e.to_string()))?;
                self.document
                    .apply(&diff)
                    .map_err(|e| TestError(e.to_string()))?;
                self.html = self.document.html().map_err(|e| TestError(e.to_string()))?;
            }
            if let Some(meta) = frame.get(2).filter(|m| !m.is_null()) {
                let meta = ReplyMeta::deserialize(meta)
                    .map_err(|e| TestError(format!("server sent a malformed meta {meta}: {e}")))?;
                self.record(meta)?;
            }
            if got == reference {
                return Ok(());
            }
        }
    }

    fn record(&mut self, meta: ReplyMeta) -> Result<(), TestError> {
        if let Some(error) = meta.error {
            return fail(format!("server refused the frame: {error}"));
        }
        if let Some(fatal) = meta.fatal {
            return fail(format!("the view stopped: {fatal}"));
        }
        if let Some(url) = meta.patch {
            self.patched = Some(url);
        }
        if let Some(token) = meta.session {
            self.token = token;
        }
        self.navigate_to.clone_from(&meta.navigate);
        if meta.redirect.is_some() {
            self.redirected.clone_from(&meta.redirect);
            self.redirect_flash = meta.flash;
        }
        if let Some(url) = meta.navigate.or(meta.redirect) {
            self.navigated = Some(url);
        }
        self.events.extend(meta.events);
        Ok(())
    }

    /// The one element matching a selector and text: its outer HTML and attributes.
    fn find(&self, css: &str, text: &str) -> Result<Found, TestError> {
        let mut found = self.matching(css, text)?;
        match found.as_mut_slice() {
            [one] => Ok(std::mem::take(one)),
            [] => fail(format!(
                "no element matches {css:?} with text {text:?} in:\n{}",
                self.html
            )),
            many => fail(format!(
                "{} elements match {css:?} with text {text:?}; narrow the selector",
                many.len()
            )),
        }
    }
}

/// An element found by [`LiveViewTest::element`].
#[derive(Debug)]
pub struct Element<'a> {
    view: &'a mut LiveViewTest,
    selector: String,
    text: String,
}

impl Element<'_> {
    /// Sends the element's `phx-click` event with its `phx-value-*` attributes, and returns
    /// the HTML after the reply.
    pub async fn click(self) -> Result<String, TestError> {
        let (_, attrs) = self.view.find(&self.selector, &self.text)?;
        let Some(Value::String(event)) = attrs.get("phx-click").cloned() else {
            return fail(format!("{:?} has no phx-click", self.selector));
        };
        let values: Map<String, Value> = attrs
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("phx-value-")?.to_owned(), v.clone())))
            .collect();
        self.view.event(&event, Value::Object(values)).await
    }

    /// The element's outer HTML.
    pub fn html(self) -> Result<String, TestError> {
        Ok(self.view.find(&self.selector, &self.text)?.0)
    }
}

/// A form found by [`LiveViewTest::form`].
#[derive(Debug)]
pub struct Form<'a> {
    view: &'a mut LiveViewTest,
    selector: String,
    values: Value,
}

impl Form<'_> {
    /// Sends the form's `phx-change` event with its fields and the given values.
    pub async fn change(self) -> Result<String, TestError> {
        self.send("phx-change").await
    }

    /// Sends the form's `phx-submit` event with its fields and the given values.
    pub async fn submit(self) -> Result<String, TestError> {
        self.send("phx-submit").await
    }

    async fn send(self, binding: &str) -> Result<String, TestError> {
        let (html, attrs) = self.view.find(&self.selector, "")?;
        let Some(Value::String(event)) = attrs.get(binding).cloned() else {
            return fail(format!("{:?} has no {binding}", self.selector));
        };
        let mut payload = form_fields(&html)?;
        merge(&mut payload, self.values);
        self.view.event(&event, payload).await
    }
}

/// The current values of a form's named fields, nested by `a[b]` names.
fn form_fields(form_html: &str) -> Result<Value, TestError> {
    let fragment = Html::parse_fragment(form_html);
    let mut out = Value::Object(Map::new());
    for field in fragment.select(&selector("input[name], textarea[name], select[name]")?) {
        let element = field.value();
        let name = element.attr("name").unwrap_or_default();
        let value = match element.name() {
            "textarea" => field.text().collect(),
            "select" => field
                .select(&selector("option[selected]")?)
                .next()
                .and_then(|o| o.value().attr("value"))
                .unwrap_or_default()
                .to_owned(),
            _ => {
                let kind = element.attr("type").unwrap_or("text");
                if matches!(kind, "checkbox" | "radio") && element.attr("checked").is_none() {
                    continue;
                }
                if matches!(kind, "submit" | "button" | "reset" | "file") {
                    continue;
                }
                element
                    .attr("value")
                    .unwrap_or(if kind == "checkbox" { "on" } else { "" })
                    .to_owned()
            }
        };
        let mut path: Vec<&str> = name.split('[').map(|p| p.trim_end_matches(']')).collect();
        let last = path.pop().unwrap_or_default();
        let mut node = &mut out;
        for key in path {
            node = node
                .as_object_mut()
                .expect("objects all the way down")
                .entry(key)
                .or_insert_with(|| Value::Object(Map::new()));
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
        }
        node.as_object_mut()
            .expect("objects all the way down")
            .insert(last.to_owned(), Value::String(value));
    }
    Ok(out)
}

/// Deep-merges `extra` into `base`, `extra` winning.
fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(base), Value::Object(extra)) => {
            for (k, v) in extra {
                merge(base.entry(k).or_insert(Value::Null), v);
            }
        }
        (base, extra) => *base = extra,
    }
}

fn selector(css: &str) -> Result<Selector, TestError> {
    Selector::parse(css).map_err(|e| TestError(format!("invalid selector {css:?}: {e}")))
}

fn element_text(element: &ElementRef<'_>) -> String {
    element.text().collect::<String>()
}
