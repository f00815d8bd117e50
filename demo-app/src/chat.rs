//! `/chat`: a chat room on topic `chat:lobby`, messages stored in the database, who is
//! online from presence.
//!
//! The view holds no messages: they go into a [`Stream`] when they arrive and are forgotten
//! once rendered, so a view that has shown 10,000 messages costs what one that showed 10
//! does. Older messages load on demand, a page at a time, from the database.

use std::sync::Arc;
use std::time::Duration;

use liveview_core::maud::{html, Markup};
use liveview_core::presence::{PresenceDiff, Roster};
use liveview_core::stream::{At, Limit, Stream};
use liveview_core::{Lagged, LiveEvent, LiveView, Params, Result, Session, Socket};
use time::OffsetDateTime;

use crate::db::Db;
use crate::messages::{self, ChatMessage, MAX_BODY_CHARS};

/// The topic every chat view subscribes to and tracks its presence on.
pub const TOPIC: &str = "chat:lobby";
/// Messages shown on mount, and loaded per "load older".
const PAGE: u32 = 50;
/// Messages the browser keeps at most: older ones drop off as new ones come in.
const WINDOW: usize = 500;
/// Names shown in the online list; the count covers everyone.
const ONLINE_SHOWN: usize = 12;
/// The online list is refreshed at most this often, plus [`ONLINE_REFRESH_PER_PERSON`] for
/// each person online: in a busy room people come and go faster than anyone can read the
/// list, and every refresh is one render in every open page.
const ONLINE_REFRESH: Duration = Duration::from_millis(250);
const ONLINE_REFRESH_PER_PERSON: Duration = Duration::from_micros(200);

/// The chat room view.
#[derive(Debug)]
pub struct Chat {
    db: Db,
    name: String,
    draft: String,
    error: Option<String>,
    messages: Stream<Arc<ChatMessage>>,
    /// The id of the oldest message sent to the browser, to load the page before it.
    oldest: Option<i64>,
    has_older: bool,
    /// Who is online: the first names with their number of open tabs, and how many in all.
    online: Roster,
    online_count: usize,
    /// A refresh of the online list is scheduled.
    online_refresh_due: bool,
}

/// What the page sends.
#[derive(Debug, LiveEvent)]
pub enum ChatEvent {
    /// The message form: the author's name and the message.
    Send {
        /// The author's name.
        #[serde(default)]
        name: String,
        /// The message text.
        #[serde(default)]
        message: String,
    },
    /// Typing in the form: keeps the draft and the name, clears a shown error.
    Typing {
        /// The author's name.
        #[serde(default)]
        name: String,
        /// The message text.
        #[serde(default)]
        message: String,
    },
    /// The "load older messages" button.
    LoadOlder,
}

/// What reaches the view from other views.
#[derive(Debug)]
pub enum ChatInfo {
    /// A message someone sent.
    Said(Arc<ChatMessage>),
    /// Someone came or went.
    Presence(Arc<PresenceDiff>),
    /// Time to show who is online now.
    RefreshOnline,
}

impl Chat {
    fn track_name(&mut self, socket: &mut Socket<Self>, name: &str) {
        socket.untrack(TOPIC, &self.name);
        socket.track(TOPIC, name, ());
        self.name = name.to_owned();
        let query: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
        socket.replace_patch(format!("/chat?name={query}"));
    }

    fn refresh_online(&mut self, socket: &Socket<Self>) {
        self.online = socket.presence().first(TOPIC, ONLINE_SHOWN);
        self.online_count = socket.presence().count(TOPIC);
        self.online_refresh_due = false;
    }

    fn show(&mut self, batch: Vec<ChatMessage>) {
        if let Some(first) = batch.first() {
            self.oldest = Some(first.id);
        }
        self.has_older = batch.len() == PAGE as usize;
        for message in batch {
            self.messages.insert(message.id, Arc::new(message));
        }
    }
}

impl LiveView for Chat {
    type Event = ChatEvent;
    type Info = ChatInfo;

    async fn mount(params: Params, _: &Session, socket: &mut Socket<Self>) -> Result<Self> {
        let db = socket
            .extension::<Db>()
            .cloned()
            .ok_or("the chat needs the database (Live::with_extension(db))")?;
        let name = params
            .get("name")
            .map(str::trim)
            .filter(|n| !n.is_empty() && n.chars().count() <= messages::MAX_AUTHOR_CHARS)
            .map_or_else(
                || format!("guest-{:04}", rand::random::<u16>() % 10_000),
                str::to_owned,
            );
        let mut chat = Chat {
            db,
            name: String::new(),
            draft: String::new(),
            error: None,
            messages: Stream::new("messages").limit(Limit::Last(WINDOW)),
            oldest: None,
            has_older: false,
            online: Arc::new([]),
            online_count: 0,
            online_refresh_due: false,
        };
        if socket.connected() {
            socket.subscribe(TOPIC, ChatInfo::Said);
            socket.subscribe(TOPIC, ChatInfo::Presence);
            chat.track_name(socket, &name);
        } else {
            chat.name = name;
        }
        let latest = messages::page(&chat.db, None, PAGE).await?;
        chat.show(latest);
        chat.refresh_online(socket);
        Ok(chat)
    }

    async fn handle_event(&mut self, event: ChatEvent, socket: &mut Socket<Self>) -> Result<()> {
        match event {
            ChatEvent::Typing { name, message } => {
                self.draft = message;
                self.error = None;
                let name = name.trim();
                if !name.is_empty()
                    && name != self.name
                    && name.chars().count() <= messages::MAX_AUTHOR_CHARS
                {
                    self.track_name(socket, name);
                }
            }
            ChatEvent::Send { name, message } => {
                let errors = messages::validate(&name, &message);
                if let Some((field, problems)) = errors.iter().next() {
                    self.draft = message;
                    self.error = Some(format!("{} {}", label(field), problems[0]));
                    return Ok(());
                }
                if name.trim() != self.name {
                    self.track_name(socket, name.trim());
                }
                let stored = messages::insert(&self.db, &self.name, &message).await?;
                self.draft.clear();
                self.error = None;
                self.messages.limit_to(Limit::Last(WINDOW));
                let stored = Arc::new(stored);
                self.messages.insert(stored.id, stored.clone());
                socket.broadcast_from(TOPIC, (*stored).clone());
            }
            ChatEvent::LoadOlder => {
                let older = messages::page(&self.db, self.oldest, PAGE).await?;
                if let Some(first) = older.first() {
                    self.oldest = Some(first.id);
                }
                self.has_older = older.len() == PAGE as usize;
                // Keep the window at the top while reading back; new messages move it again.
                self.messages.limit_to(Limit::First(WINDOW));
                for (i, message) in older.into_iter().enumerate() {
                    self.messages
                        .insert_at(At::Index(i), message.id, Arc::new(message));
                }
            }
        }
        Ok(())
    }

    async fn handle_info(&mut self, info: ChatInfo, socket: &mut Socket<Self>) -> Result<()> {
        match info {
            ChatInfo::Said(message) => {
                self.messages.limit_to(Limit::Last(WINDOW));
                self.messages.insert(message.id, message);
            }
            ChatInfo::Presence(_) if !self.online_refresh_due => {
                self.online_refresh_due = true;
                let people = u32::try_from(self.online_count).unwrap_or(u32::MAX);
                let wait = ONLINE_REFRESH + ONLINE_REFRESH_PER_PERSON * people;
                socket.send_after(wait.min(Duration::from_secs(5)), ChatInfo::RefreshOnline);
            }
            ChatInfo::Presence(_) => {}
            ChatInfo::RefreshOnline => self.refresh_online(socket),
        }
        Ok(())
    }

    async fn handle_lagged(&mut self, _: Lagged, socket: &mut Socket<Self>) -> Result<()> {
        // Messages were dropped while this view was behind: show the latest page again.
        let latest = messages::page(&self.db, None, PAGE).await?;
        self.messages.reset();
        self.show(latest);
        self.refresh_online(socket);
        Ok(())
    }

    fn render(&self) -> Markup {
        html! {
            section.chat {
                header.chat-header {
                    h1 { "Chat" }
                    div id="online" .online {
                        span.online-count { (self.online_count) " online" }
                        ul {
                            @for (name, tabs) in self.online.iter() {
                                li .me[*name == self.name] {
                                    (name)
                                    @if *tabs > 1 { span.tabs { " ×" (tabs) } }
                                }
                            }
                            @if self.online_count > self.online.len() {
                                li.more { "+" (self.online_count - self.online.len()) " more" }
                            }
                        }
                    }
                }
                div.chat-log {
                    div {
                        @if self.has_older {
                            button id="load-older" .link phx-click="load_older" { "Load older messages" }
                        }
                        (self.messages.render(|m| self.message(m)))
                    }
                }
                form id="chat-form" .chat-form phx-submit="send" phx-change="typing" {
                    label.name-field {
                        span { "Name" }
                        input type="text" name="name" value=(self.name) maxlength="40"
                            autocomplete="nickname" phx-debounce="500";
                    }
                    input type="text" name="message" value=(self.draft)
                        placeholder="Write a message…" autocomplete="off" autofocus
                        aria-label="Message" phx-debounce="300";
                    button type="submit" phx-disable-with="Sending…" { "Send" }
                }
                @if let Some(error) = &self.error {
                    p id="chat-error" .error role="alert" { (error) }
                }
                p.hint { "Up to " (MAX_BODY_CHARS) " characters. Messages are stored and shared with everyone on this page." }
            }
        }
    }

    fn title(&self) -> Option<String> {
        Some("Chat".into())
    }
}

impl Chat {
    fn message(&self, m: &ChatMessage) -> Markup {
        let mine = m.author == self.name;
        html! {
            div .message .mine[mine] {
                div.meta {
                    span.author { (m.author) }
                    (timestamp(m.inserted_at))
                }
                p.body { (m.body) }
            }
        }
    }
}

/// `<time>` with the UTC date and time in `datetime` and `HH:MM` (plus the date when it is
/// not today) as its text.
fn timestamp(unix_ms: i64) -> Markup {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let date = at.date();
    let iso = format!(
        "{date}T{:02}:{:02}:{:02}Z",
        at.hour(),
        at.minute(),
        at.second()
    );
    let clock = format!("{:02}:{:02}", at.hour(), at.minute());
    let today = OffsetDateTime::now_utc().date() == date;
    html! {
        time datetime=(iso) {
            @if !today { (date) " " }
            (clock) " UTC"
        }
    }
}

fn label(field: &str) -> &str {
    match field {
        "name" => "Name",
        _ => "Message",
    }
}
