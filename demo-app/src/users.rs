//! `/users`, `/users/new`, `/users/{id}/edit`, `/users/{id}`: user management.
//!
//! One view serves the four URLs: the list (a stream of rows, searched and paged through
//! the URL), the new and edit forms in a modal over it, and a user's details. Moving between
//! them is a live patch, so `handle_params` reads the path and the query and shows what they
//! name. Every open page follows creates, updates and deletes made anywhere (another browser,
//! the JSON API, another node) through the `users` topic.

use std::sync::Arc;

use liveview_core::js_commands::{On, Transition};
use liveview_core::maud::{html, Markup};
use liveview_core::stream::Stream;
use liveview_core::{Form, InputType, LiveEvent, LiveView, Params, Result, Session, Socket, JS};
use serde_json::Value;

use crate::accounts::{self, EditUserParams, SaveError, User, UserChange, UserParams, TOPIC};
use crate::db::Db;

/// Rows per page.
const PER_PAGE: u32 = 20;

/// What the URL shows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Screen {
    List,
    New,
    Edit(i64),
    Show(i64),
}

/// The user-management view.
#[derive(Debug)]
pub struct Users {
    db: Db,
    screen: Screen,
    users: Stream<User>,
    search: String,
    page: u32,
    total: i64,
    new_form: Form<UserParams>,
    edit_form: Form<EditUserParams>,
    /// The user being edited or shown.
    user: Option<User>,
}

/// What the page sends.
#[derive(Debug, LiveEvent)]
pub enum UsersEvent {
    /// The search box (phx-change).
    Search {
        /// The text in the box.
        #[serde(default)]
        q: String,
    },
    /// A change in the user form: validate.
    Validate(Value),
    /// The user form's submit: save.
    Save(Value),
    /// A row's Delete link (after the browser's confirmation).
    Delete {
        /// The user's id (`phx-value-id`, so text).
        id: String,
    },
}

/// What reaches the view from elsewhere.
#[derive(Debug)]
pub enum UsersInfo {
    /// A user was created, changed or deleted somewhere.
    Changed(Arc<UserChange>),
}

impl Users {
    fn list_url(&self, page: u32) -> String {
        list_url(&self.search, page)
    }

    /// Shows a change made here at once, and tells every other page.
    fn apply_and_tell(&mut self, change: UserChange, socket: &Socket<Self>) {
        self.apply(&change);
        socket.broadcast_from(TOPIC, change);
    }

    /// Follows a change made here or anywhere else.
    fn apply(&mut self, change: &UserChange) {
        match change {
            UserChange::Created(user) => {
                self.total += 1;
                if self.shows_new_rows() {
                    self.users.insert(user.id, user.clone());
                }
            }
            // Updating a row the browser does not have would append it, so the update is
            // sent for every row (a row of another page is not in the browser, and stays
            // out: the stream only updates ids it has). See `docs/guide.md`, Streams.
            UserChange::Updated(user) => {
                self.users.insert(user.id, user.clone());
                if self.user.as_ref().is_some_and(|u| u.id == user.id) {
                    self.user = Some(user.clone());
                }
            }
            UserChange::Deleted(id) => {
                self.total -= 1;
                self.users.delete(id);
            }
        }
    }

    fn pages(&self) -> u32 {
        u32::try_from((self.total + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE))
            .unwrap_or(1)
            .max(1)
    }

    async fn load_list(&mut self) -> Result<()> {
        let search = Some(self.search.as_str()).filter(|s| !s.is_empty());
        let (users, total) = accounts::list_users(&self.db, search, self.page, PER_PAGE).await?;
        self.total = total;
        self.users.reset();
        for user in users {
            self.users.insert(user.id, user);
        }
        Ok(())
    }

    /// Whether a user belongs on the page shown: the last page when nothing is searched
    /// (users are listed by id, so a new one lands at the end).
    fn shows_new_rows(&self) -> bool {
        self.search.is_empty() && self.page >= self.pages()
    }
}

impl LiveView for Users {
    type Event = UsersEvent;
    type Info = UsersInfo;

    async fn mount(_: Params, _: &Session, socket: &mut Socket<Self>) -> Result<Self> {
        let db = socket
            .extension::<Db>()
            .cloned()
            .ok_or("the users screen needs the database (Live::with_extension(db))")?;
        if socket.connected() {
            socket.subscribe(TOPIC, UsersInfo::Changed);
        }
        Ok(Users {
            db,
            screen: Screen::List,
            users: Stream::new("users").tag("tbody"),
            search: String::new(),
            page: 0,
            total: 0,
            new_form: Form::new("user"),
            edit_form: Form::new("user"),
            user: None,
        })
    }

    async fn handle_params(
        &mut self,
        params: Params,
        uri: &axum::http::Uri,
        _: &mut Socket<Self>,
    ) -> Result<()> {
        let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
        self.screen = match segments.as_slice() {
            ["users", "new"] => Screen::New,
            ["users", id, "edit"] => id.parse().map_or(Screen::List, Screen::Edit),
            ["users", id] => id.parse().map_or(Screen::List, Screen::Show),
            _ => Screen::List,
        };
        let search = params.get("q").unwrap_or_default().trim().to_owned();
        let page = params.parse::<u32>("page").unwrap_or(1).max(1);
        if self.page == 0 || search != self.search || page != self.page {
            self.search = search;
            self.page = page;
            self.load_list().await?;
        }
        self.user = match self.screen {
            Screen::Edit(id) | Screen::Show(id) => accounts::get_user(&self.db, id).await?,
            _ => None,
        };
        match (&self.screen, &self.user) {
            (Screen::New, _) => self.new_form = Form::new("user"),
            (Screen::Edit(_), Some(user)) => {
                let params = UserParams {
                    name: user.name.clone(),
                    email: user.email.clone(),
                    password: String::new(),
                };
                self.edit_form = Form::from_params("user", EditUserParams(params));
            }
            _ => {}
        }
        Ok(())
    }

    async fn handle_event(&mut self, event: UsersEvent, socket: &mut Socket<Self>) -> Result<()> {
        match event {
            UsersEvent::Search { q } => socket.push_patch(list_url(q.trim(), 1)),
            UsersEvent::Validate(value) => match self.screen {
                Screen::Edit(id) => {
                    self.edit_form.change(value);
                    let params = self.edit_form.params().0.clone();
                    if accounts::email_taken(&self.db, &params.email, Some(id)).await? {
                        self.edit_form.add_error("email", accounts::TAKEN);
                    }
                }
                _ => {
                    self.new_form.change(value);
                    let params = self.new_form.params().clone();
                    if accounts::email_taken(&self.db, &params.email, None).await? {
                        self.new_form.add_error("email", accounts::TAKEN);
                    }
                }
            },
            UsersEvent::Save(value) => {
                let saved = match self.screen {
                    Screen::Edit(id) => match self.edit_form.submit(value) {
                        Ok(params) => {
                            let params = params.0.clone();
                            accounts::update_user(&self.db, id, &params)
                                .await
                                .map(UserChange::Updated)
                        }
                        Err(_) => return Ok(()),
                    },
                    _ => match self.new_form.submit(value) {
                        Ok(params) => {
                            let params = params.clone();
                            accounts::create_user(&self.db, &params)
                                .await
                                .map(UserChange::Created)
                        }
                        Err(_) => return Ok(()),
                    },
                };
                match saved {
                    Ok(change) => {
                        let message = match change {
                            UserChange::Created(_) => "User created successfully",
                            _ => "User updated successfully",
                        };
                        self.apply_and_tell(change, socket);
                        socket.put_flash("info", message);
                        socket.push_patch(self.list_url(self.page));
                    }
                    Err(SaveError::Invalid(errors)) => {
                        for (field, messages) in errors.iter() {
                            for message in messages {
                                match self.screen {
                                    Screen::Edit(_) => self.edit_form.add_error(field, message),
                                    _ => self.new_form.add_error(field, message),
                                }
                            }
                        }
                    }
                    Err(SaveError::NotFound) => {
                        socket.put_flash("error", "That user no longer exists");
                        socket.push_patch(self.list_url(self.page));
                    }
                    Err(other) => return Err(other.to_string().into()),
                }
            }
            UsersEvent::Delete { id } => {
                let Ok(id) = id.parse::<i64>() else {
                    return Ok(());
                };
                if accounts::delete_user(&self.db, id).await? {
                    self.apply_and_tell(UserChange::Deleted(id), socket);
                    socket.put_flash("info", "User deleted successfully");
                }
                if self.screen == Screen::Show(id) {
                    socket.push_patch(self.list_url(self.page));
                }
            }
        }
        Ok(())
    }

    async fn handle_info(&mut self, info: UsersInfo, _: &mut Socket<Self>) -> Result<()> {
        let UsersInfo::Changed(change) = info;
        self.apply(&change);
        Ok(())
    }

    fn render(&self) -> Markup {
        html! {
            // The list stays in the page while a user is shown (hidden), so the rows the
            // browser keeps are still there when the list comes back.
            (self.list(matches!(self.screen, Screen::Show(_))))
            @if let Screen::Show(_) = self.screen { (self.details()) }
            (self.modal(match &self.screen {
                Screen::New => Some(("New User", html! {
                    (self.new_form.field("name", "Name", InputType::Text))
                    (self.new_form.field("email", "Email", InputType::Email))
                    (self.new_form.field("password", "Password", InputType::Password))
                })),
                Screen::Edit(_) if self.user.is_some() => Some(("Edit User", html! {
                    (self.edit_form.field("name", "Name", InputType::Text))
                    (self.edit_form.field("email", "Email", InputType::Email))
                })),
                _ => None,
            }))
        }
    }

    fn title(&self) -> Option<String> {
        Some("Users".into())
    }
}

impl Users {
    fn list(&self, hidden: bool) -> Markup {
        html! {
            section.card.users hidden[hidden] {
                header.users-header {
                    h1 { "Listing Users" }
                    a.button href="/users/new" phx-click=(open_modal("/users/new")) { "New User" }
                }
                form id="user-search" .user-search phx-change="search" phx-submit="search" {
                    input type="search" name="q" value=(self.search) phx-debounce="300"
                        placeholder="Search name or email" aria-label="Search users" autocomplete="off";
                }
                table.users-table {
                    thead { tr { th { "Name" } th { "Email" } th { "Confirmed" } th { span.sr-only { "Actions" } } } }
                    (self.users.render(|user| html! {
                        tr {
                            td { a href={"/users/" (user.id)} data-phx-link="patch" { (user.name) } }
                            td { (user.email) }
                            td { @if user.confirmed_at.is_some() { "Yes" } @else { "No" } }
                            td.actions {
                                a href={"/users/" (user.id)} data-phx-link="patch" { "Show" }
                                a href={"/users/" (user.id) "/edit"} data-phx-link="patch" { "Edit" }
                                a href="#" phx-click="delete" phx-value-id=(user.id) data-confirm="Are you sure?" { "Delete" }
                            }
                        }
                    }))
                }
                nav.pager aria-label="Pages" {
                    span {
                        (self.total) @if self.total == 1 { " user" } @else { " users" }
                        " · page " (self.page) " of " (self.pages())
                    }
                    @if self.page > 1 {
                        a href=(self.list_url(self.page - 1)) data-phx-link="patch" { "← Previous" }
                    }
                    @if self.page < self.pages() {
                        a href=(self.list_url(self.page + 1)) data-phx-link="patch" { "Next →" }
                    }
                }
            }
        }
    }

    /// The modal's backdrop is always in the page, hidden while no form is open, so the
    /// `New User` click can show it at once ([`open_modal`]) while the server renders the
    /// form into it, and a close hides it at once while the patch back travels.
    fn modal(&self, open: Option<(&str, Markup)>) -> Markup {
        let close = JS::new().hide(MODAL).patch(self.list_url(self.page));
        html! {
            div #user-modal .modal-backdrop style=[open.is_none().then_some("display: none")]
                data-cancel=(close)
                phx-window-keydown=[open.is_some().then(|| JS::new().exec("data-cancel", MODAL))] phx-key="Escape" {
                @if let Some((title, fields)) = open {
                    div.modal role="dialog" aria-modal="true" aria-label=(title) {
                        button.modal-close type="button" phx-click=(JS::new().exec("data-cancel", MODAL)) aria-label="Close" { "×" }
                        h2 { (title) }
                        form id="user-form" phx-change="validate" phx-submit="save" {
                            (fields)
                            button type="submit" phx-disable-with="Saving…" { "Save User" }
                        }
                    }
                }
            }
        }
    }

    fn details(&self) -> Markup {
        html! {
            section.card.user-details {
                @if let Some(user) = &self.user {
                    h1 { (user.name) }
                    dl {
                        dt { "Email" } dd { (user.email) }
                        dt { "Confirmed" } dd { @if user.confirmed_at.is_some() { "Yes" } @else { "No" } }
                        dt { "Admin" } dd { @if user.is_admin { "Yes" } @else { "No" } }
                        dt { "Created" } dd { (user.inserted_at) }
                    }
                    p.actions {
                        a.button href={"/users/" (user.id) "/edit"} data-phx-link="patch" { "Edit user" }
                        a href=(self.list_url(self.page)) data-phx-link="patch" { "Back to users" }
                    }
                } @else {
                    h1 { "User not found" }
                    p { a href="/users" data-phx-link="patch" { "Back to users" } }
                }
            }
        }
    }
}

/// The modal's backdrop (see [`Users::modal`]).
const MODAL: &str = "#user-modal";

/// Opens the modal at once, fading it in, and patches to `href`, whose form the server
/// renders into it.
fn open_modal(href: &str) -> JS {
    JS::new()
        .show(
            On::to(MODAL)
                .transition(Transition::new(
                    "modal-enter",
                    "modal-enter-from",
                    "modal-enter-to",
                ))
                .time(150),
        )
        .patch(href)
}

/// The list's URL for a search and a page.
fn list_url(search: &str, page: u32) -> String {
    let mut url = format!("/users?page={page}");
    if !search.is_empty() {
        let q: String = form_urlencoded::byte_serialize(search.as_bytes()).collect();
        url.push_str(&format!("&q={q}"));
    }
    url
}
