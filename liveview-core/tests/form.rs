//! Typed forms: decoding, used fields, errors and their JSON, the HTML helpers.

use liveview_core::{Errors, Form, InputType, Validate};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The registration params of the Phoenix reference app.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default)]
struct UserParams {
    name: String,
    email: String,
    password: String,
}

/// `User.registration_changeset`, check for check.
impl Validate for UserParams {
    fn validate(&self) -> Errors {
        let mut errors = Errors::new();
        errors
            .require("name", &self.name)
            .length("name", &self.name, 2, 100);
        errors
            .require("email", &self.email)
            .check(
                "email",
                valid_email(&self.email),
                "must have the @ sign and no spaces",
            )
            .length("email", &self.email, 0, 160);
        let p = &self.password;
        errors
            .require("password", p)
            .length("password", p, 12, 72)
            .check(
                "password",
                p.contains(|c: char| c.is_ascii_lowercase()),
                "at least one lower case character",
            )
            .check(
                "password",
                p.contains(|c: char| c.is_ascii_uppercase()),
                "at least one upper case character",
            )
            .check(
                "password",
                p.contains(|c: char| c.is_ascii_digit() || "!?@#$%^&*_".contains(c)),
                "at least one digit or punctuation character",
            );
        errors
    }
}

/// `~r/^[^\s]+@[^\s]+$/`
fn valid_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty() && !domain.is_empty() && !email.contains(char::is_whitespace)
        }
        None => false,
    }
}

const GOOD_PASSWORD: &str = "correct Horse 9";

fn user(name: &str, email: &str, password: &str) -> serde_json::Value {
    json!({"user": {"name": name, "email": email, "password": password}})
}

fn change(name: &str, email: &str, password: &str, target: &str) -> serde_json::Value {
    let mut value = user(name, email, password);
    value["_target"] = json!(target);
    value
}

// ---- decoding ----

#[derive(Debug, PartialEq, Default, Deserialize, Serialize)]
enum Role {
    #[serde(rename = "member")]
    #[default]
    Member,
    #[serde(rename = "admin")]
    Admin,
}

#[derive(Debug, PartialEq, Default, Deserialize)]
struct Address {
    city: String,
    zip: Option<String>,
}

/// No `#[serde(default)]`: fields the form does not send must still decode.
#[derive(Debug, PartialEq, Default, Deserialize)]
struct Profile {
    name: String,
    age: u32,
    height: Option<f64>,
    newsletter: bool,
    address: Address,
    tags: Vec<String>,
    #[serde(default)]
    role: Role,
}

impl Validate for Profile {
    fn validate(&self) -> Errors {
        let mut errors = Errors::new();
        errors.require("name", &self.name);
        errors
    }
}

#[test]
fn nested_params_decode_into_the_params_type_reading_numbers_and_checkboxes_from_text() {
    let mut form = Form::<Profile>::new("profile");
    form.change(json!({
        "profile": {
            "name": "Zoë",
            "age": "41",
            "height": "1.72",
            "newsletter": "true",
            "address": {"city": "Lyon", "zip": "69001"},
            "tags": ["a", "b"],
            "role": "admin"
        },
        "_target": "profile[age]"
    }));
    assert_eq!(
        form.params(),
        &Profile {
            name: "Zoë".into(),
            age: 41,
            height: Some(1.72),
            newsletter: true,
            address: Address {
                city: "Lyon".into(),
                zip: Some("69001".into())
            },
            tags: vec!["a".into(), "b".into()],
            role: Role::Admin,
        }
    );
    assert!(form.is_valid(), "{:?}", form.all_errors());
    assert_eq!(form.value("address[city]"), "Lyon");
}

#[test]
fn fields_the_form_did_not_send_are_empty_not_errors() {
    let mut form = Form::<Profile>::new("profile");
    form.change(json!({"profile": {"name": "Jo"}, "_target": "profile[name]"}));
    assert_eq!(
        form.params(),
        &Profile {
            name: "Jo".into(),
            ..Profile::default()
        }
    );
    assert!(form.is_valid(), "{:?}", form.all_errors());

    // Not even the form's key: everything empty, and the app's validation decides.
    form.submit(json!({})).unwrap_err();
    assert_eq!(form.params(), &Profile::default());
    assert_eq!(
        serde_json::to_value(form.all_errors()).unwrap(),
        json!({"errors": {"name": ["can't be blank"]}})
    );
}

#[test]
fn an_empty_field_is_none_for_an_option_and_blank_for_a_number() {
    let mut form = Form::<Profile>::new("profile");
    let _ = form.submit(json!({"profile": {"name": "Jo", "age": " ", "height": ""}}));
    assert_eq!(form.params().height, None);
    assert_eq!(form.errors("height"), [] as [&str; 0]);
    assert_eq!(form.errors("age"), ["can't be blank"]);
}

#[test]
fn a_value_that_is_not_valid_for_its_type_still_shows_what_the_user_typed() {
    let mut form = Form::<Profile>::new("profile");
    form.change(json!({
        "profile": {"name": "Jo", "age": "forty-one", "role": "owner"},
        "_target": "profile[age]"
    }));
    assert_eq!(form.value("age"), "forty-one");
    assert_eq!(form.errors("age"), ["is invalid"]);
    // The rest still decodes; the bad fields hold zero or their serde default.
    assert_eq!(form.params().name, "Jo");
    assert_eq!(form.params().age, 0);
    assert_eq!(form.params().role, Role::Member);
    assert_eq!(form.value("role"), "owner");
    assert!(form.errors("role").is_empty(), "role is not used yet");
    assert_eq!(form.all_errors().get("role"), ["is invalid"]);
    assert!(!form.is_valid());

    let html = form.input("age", InputType::Number).into_string();
    assert!(html.contains(r#"value="forty-one""#), "{html}");
}

#[test]
fn a_type_that_cannot_be_built_keeps_the_last_params_and_still_shows_the_text() {
    // No default for `role`: an unknown choice leaves nothing to build the params from.
    #[derive(Debug, PartialEq, Deserialize, Serialize)]
    struct Choice {
        role: Role,
    }
    impl Validate for Choice {
        fn validate(&self) -> Errors {
            Errors::new()
        }
    }

    let mut form = Form::from_params("choice", Choice { role: Role::Admin });
    assert_eq!(form.value("role"), "admin");
    form.change(json!({"choice": {"role": "owner"}, "_target": "choice[role]"}));
    assert_eq!(form.params().role, Role::Admin);
    assert_eq!(form.value("role"), "owner");
    assert_eq!(form.errors("role"), ["is invalid"]);
    form.change(json!({"choice": {"role": ""}, "_target": "choice[role]"}));
    assert_eq!(form.errors("role"), ["can't be blank"]);
    form.change(json!({"choice": {"role": "member"}, "_target": "choice[role]"}));
    assert_eq!(form.params().role, Role::Member);
    assert!(form.is_valid());
}

#[test]
fn an_edit_form_starts_from_the_records_values() {
    #[derive(Debug, Default, Deserialize, Serialize)]
    #[serde(default)]
    struct Settings {
        nickname: String,
        age: Option<u32>,
        public: bool,
    }
    impl Validate for Settings {
        fn validate(&self) -> Errors {
            Errors::new()
        }
    }

    let form = Form::from_params(
        "settings",
        Settings {
            nickname: "zo".into(),
            age: None,
            public: true,
        },
    );
    assert_eq!(form.value("nickname"), "zo");
    assert_eq!(form.value("age"), "");
    assert_eq!(form.value("public"), "true");
    assert!(form
        .input("public", InputType::Checkbox)
        .into_string()
        .contains("checked"));
}

#[test]
fn a_form_without_a_prefix_reads_the_top_level_names() {
    #[derive(Debug, Default, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Search {
        query: String,
    }
    impl Validate for Search {
        fn validate(&self) -> Errors {
            let mut errors = Errors::new();
            errors.length("query", &self.query, 3, 50);
            errors
        }
    }

    let mut form = Form::<Search>::new("");
    form.change(json!({"query": "ru", "_target": "query"}));
    assert_eq!(form.params().query, "ru");
    assert_eq!(form.errors("query"), ["should be at least 3 character(s)"]);
    assert_eq!(form.field_name("query"), "query");
    assert_eq!(form.field_id("query"), "query");
}

// ---- used fields ----

#[test]
fn a_fields_errors_show_only_after_it_was_used() {
    let mut form = Form::<UserParams>::new("user");
    form.change(change("J", "", "", "user[name]"));
    assert_eq!(form.errors("name"), ["should be at least 2 character(s)"]);
    assert!(form.errors("email").is_empty());
    assert!(form.errors("password").is_empty());
    // They are there, only not shown.
    assert_eq!(form.all_errors().get("email"), ["can't be blank"]);
    assert!(!form.is_valid());
}

#[test]
fn used_fields_accumulate_over_successive_change_events() {
    let mut form = Form::<UserParams>::new("user");
    form.change(change("J", "", "", "user[name]"));
    form.change(change("J", "jo example.com", "", "user[email]"));
    assert!(form.is_used("name") && form.is_used("email") && !form.is_used("password"));
    assert_eq!(form.errors("name"), ["should be at least 2 character(s)"]);
    assert_eq!(form.errors("email"), ["must have the @ sign and no spaces"]);

    form.change(change("Jo", "jo@example.com", "short", "user[password]"));
    assert!(form.errors("name").is_empty());
    assert!(form.errors("email").is_empty());
    assert_eq!(
        form.errors("password"),
        [
            "should be at least 12 character(s)",
            "at least one upper case character",
            "at least one digit or punctuation character",
        ]
    );
}

#[test]
fn a_change_without_target_keeps_the_used_fields_as_they_were() {
    let mut form = Form::<UserParams>::new("user");
    form.change(change("J", "", "", "user[name]"));
    // Form recovery after a reconnect: the values, no `_target`.
    form.change(user("J", "x", ""));
    assert!(form.is_used("name"));
    assert!(!form.is_used("email"));
    assert_eq!(form.value("email"), "x");
    assert!(form.errors("email").is_empty());

    // A freshly mounted view that receives the recovery change shows no errors yet.
    let mut fresh = Form::<UserParams>::new("user");
    fresh.change(user("J", "x", ""));
    assert_eq!(fresh.value("name"), "J");
    assert!(["name", "email", "password"]
        .iter()
        .all(|field| fresh.errors(field).is_empty()));
}

#[test]
fn an_input_of_another_form_marks_nothing_used() {
    let mut form = Form::<UserParams>::new("user");
    form.change(json!({"user": {}, "search": {"name": "x"}, "_target": "search[name]"}));
    form.change(json!({"user": {}, "username": "x", "_target": "username"}));
    assert!(!form.is_used("name"));
}

#[test]
fn a_nested_input_marks_its_field_and_the_field_around_it_used() {
    let mut form = Form::<Profile>::new("profile");
    form.change(json!({"profile": {"address": {"city": ""}}, "_target": "profile[address][city]"}));
    assert!(form.is_used("address[city]"));
    assert!(form.is_used("address"));
    assert!(!form.is_used("address[zip]"));
    form.change(json!({"profile": {"tags": ["a"]}, "_target": "profile[tags][]"}));
    assert!(form.is_used("tags"));
}

#[test]
fn submit_shows_every_error_and_gives_the_params_once_they_are_valid() {
    let mut form = Form::<UserParams>::new("user");
    form.change(change("Jo", "", "", "user[name]"));
    let errors = form.submit(user("Jo", "", "")).unwrap_err();
    assert_eq!(errors.get("email"), ["can't be blank"]);
    assert_eq!(form.errors("email"), ["can't be blank"]);
    assert_eq!(form.errors("password"), ["can't be blank"]);

    // After a submit every field stays used while the user corrects them.
    form.change(change("Jo", "jo@example.com", "", "user[email]"));
    assert_eq!(form.errors("password"), ["can't be blank"]);

    let saved = form
        .submit(user("Jo", "jo@example.com", GOOD_PASSWORD))
        .unwrap()
        .clone();
    assert_eq!(
        saved,
        UserParams {
            name: "Jo".into(),
            email: "jo@example.com".into(),
            password: GOOD_PASSWORD.into()
        }
    );
    assert!(form.is_valid());
}

#[test]
fn reset_after_a_save_starts_over_with_nothing_used() {
    let mut form = Form::<UserParams>::new("user");
    form.submit(user("Jo", "jo@example.com", GOOD_PASSWORD))
        .unwrap();
    form.reset();
    assert_eq!(form.params(), &UserParams::default());
    assert_eq!(form.value("name"), "");
    assert!(!form.is_used("name"));
    assert!(form.errors("name").is_empty());
    assert_eq!(form.name(), "user");
}

#[test]
fn an_error_the_app_adds_after_a_submit_shows_until_the_next_event() {
    let mut form = Form::<UserParams>::new("user");
    form.submit(user("Jo", "jo@example.com", GOOD_PASSWORD))
        .unwrap();
    form.add_error("email", "has already been taken");
    assert_eq!(form.errors("email"), ["has already been taken"]);
    assert!(!form.is_valid());
    form.change(change(
        "Jo",
        "jo2@example.com",
        GOOD_PASSWORD,
        "user[email]",
    ));
    assert!(form.errors("email").is_empty());
}

// ---- errors ----

#[test]
fn errors_serialise_to_the_json_an_api_answers_on_422() {
    let errors = UserParams {
        name: "J".into(),
        email: String::new(),
        password: "short".into(),
    }
    .validate();
    assert_eq!(
        serde_json::to_string(&errors).unwrap(),
        concat!(
            r#"{"errors":{"name":["should be at least 2 character(s)"],"#,
            r#""email":["can't be blank"],"#,
            r#""password":["should be at least 12 character(s)","#,
            r#""at least one upper case character","#,
            r#""at least one digit or punctuation character"]}}"#,
        )
    );
    assert_eq!(
        serde_json::to_string(&Errors::new()).unwrap(),
        r#"{"errors":{}}"#
    );
}

#[test]
fn an_empty_field_says_only_that_it_is_blank() {
    let errors = UserParams::default().validate();
    assert_eq!(errors.get("email"), ["can't be blank"]);
    assert_eq!(errors.get("password"), ["can't be blank"]);
    let fields: Vec<&str> = errors.iter().map(|(field, _)| field).collect();
    assert_eq!(fields, ["name", "email", "password"]);
}

#[test]
fn length_counts_characters_not_bytes() {
    let mut errors = Errors::new();
    errors
        .length("a", "Zoë", 3, 3) // 4 bytes
        .length("b", "日本語", 1, 3) // 9 bytes
        .length("c", "👍🏽", 3, 10) // 2 scalar values, 8 bytes
        .length("d", "éé", 3, 10); // 4 bytes
    assert!(errors.get("a").is_empty());
    assert!(errors.get("b").is_empty());
    assert_eq!(errors.get("c"), ["should be at least 3 character(s)"]);
    assert_eq!(errors.get("d"), ["should be at least 3 character(s)"]);

    let mut errors = Errors::new();
    errors.length("name", &"ñ".repeat(101), 2, 100);
    assert_eq!(errors.get("name"), ["should be at most 100 character(s)"]);
}

#[test]
fn the_same_message_is_not_repeated() {
    let mut errors = Errors::new();
    errors.add("email", "is invalid").add("email", "is invalid");
    assert_eq!(errors.get("email"), ["is invalid"]);
    assert_eq!(errors.to_string(), "email is invalid");
}

#[tokio::test]
async fn the_same_validation_serves_a_json_api_answering_422() {
    use axum::body::{to_bytes, Body};
    use axum::http::{Request, StatusCode};
    use axum::routing::post;
    use axum::{Json, Router};
    use tower::ServiceExt as _;

    async fn create_user(Json(params): Json<UserParams>) -> Result<StatusCode, Errors> {
        params.validate().into_result()?;
        Ok(StatusCode::CREATED)
    }

    let app = Router::new().route("/api/users", post(create_user));
    let send = |body: serde_json::Value| {
        let request = Request::post("/api/users")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        app.clone().oneshot(request)
    };

    let response = send(json!({"name": "Jo", "password": GOOD_PASSWORD}))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body = to_bytes(response.into_body(), 1 << 16).await.unwrap();
    assert_eq!(&body[..], br#"{"errors":{"email":["can't be blank"]}}"#);

    let response =
        send(json!({"name": "Jo", "email": "jo@example.com", "password": GOOD_PASSWORD}))
            .await
            .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

// ---- HTML ----

#[cfg(feature = "testing")]
mod html {
    use super::*;
    use scraper::{Html, Selector};

    fn one<'a>(doc: &'a Html, css: &str) -> scraper::ElementRef<'a> {
        let selector = Selector::parse(css).unwrap();
        let mut found = doc.select(&selector);
        let first = found
            .next()
            .unwrap_or_else(|| panic!("no {css} in {}", doc.html()));
        assert!(found.next().is_none(), "several {css} in {}", doc.html());
        first
    }

    fn count(doc: &Html, css: &str) -> usize {
        doc.select(&Selector::parse(css).unwrap()).count()
    }

    fn submitted(name: &str, email: &str) -> Form<UserParams> {
        let mut form = Form::<UserParams>::new("user");
        let _ = form.submit(user(name, email, ""));
        form
    }

    #[test]
    fn a_field_renders_its_label_input_and_errors() {
        let form = submitted("J", "");
        let doc =
            Html::parse_fragment(&form.field("email", "Email", InputType::Email).into_string());
        let div = one(&doc, "div.field");
        assert_eq!(div.value().attr("class"), Some("field"));
        let label = one(&doc, "div.field > label");
        assert_eq!(label.value().attr("for"), Some("user_email"));
        assert_eq!(label.text().collect::<String>(), "Email");
        let input = one(&doc, "div.field > input");
        assert_eq!(input.value().attr("type"), Some("email"));
        assert_eq!(input.value().attr("name"), Some("user[email]"));
        assert_eq!(input.value().attr("id"), Some("user_email"));
        assert_eq!(input.value().attr("value"), Some(""));
        assert_eq!(input.value().attr("aria-invalid"), Some("true"));
        let error = one(&doc, "div.field > p.error");
        assert_eq!(error.text().collect::<String>(), "can't be blank");
    }

    #[test]
    fn an_unused_field_renders_no_errors_and_is_not_marked_invalid() {
        let mut form = Form::<UserParams>::new("user");
        form.change(change("J", "", "", "user[name]"));
        let doc =
            Html::parse_fragment(&form.field("email", "Email", InputType::Email).into_string());
        assert_eq!(count(&doc, "p.error"), 0);
        assert_eq!(one(&doc, "input").value().attr("aria-invalid"), None);
    }

    #[test]
    fn errors_for_renders_one_paragraph_per_message_in_order() {
        let mut form = Form::<UserParams>::new("user");
        let _ = form.submit(user("Jo", "jo@example.com", "lowercase only"));
        let doc = Html::parse_fragment(&form.errors_for("password").into_string());
        let messages: Vec<String> = doc
            .select(&Selector::parse("p.error").unwrap())
            .map(|p| p.text().collect())
            .collect();
        assert_eq!(
            messages,
            [
                "at least one upper case character",
                "at least one digit or punctuation character"
            ]
        );
        assert!(form.errors_for("name").into_string().is_empty());
    }

    #[test]
    fn what_the_user_typed_is_escaped_and_comes_back_exactly() {
        let typed = r#"a" onfocus="alert(1)" x='<b>&amp;"#;
        let mut form = Form::<UserParams>::new("user");
        form.change(change(typed, "", "", "user[name]"));
        let doc = Html::parse_fragment(&form.text_input("name").into_string());
        assert_eq!(count(&doc, "input"), 1);
        let input = one(&doc, "input");
        assert_eq!(input.value().attr("value"), Some(typed));
        assert_eq!(input.value().attr("onfocus"), None);

        let doc = Html::parse_fragment(&form.input("name", InputType::Textarea).into_string());
        assert_eq!(one(&doc, "textarea").text().collect::<String>(), typed);
    }

    #[test]
    fn a_textarea_keeps_a_leading_newline() {
        let mut form = Form::<UserParams>::new("user");
        form.change(change("\nfirst line\nsecond", "", "", "user[name]"));
        let doc = Html::parse_fragment(&form.input("name", InputType::Textarea).into_string());
        let textarea = one(&doc, "textarea");
        assert_eq!(textarea.value().attr("name"), Some("user[name]"));
        assert_eq!(textarea.value().attr("id"), Some("user_name"));
        assert_eq!(textarea.text().collect::<String>(), "\nfirst line\nsecond");
    }

    #[test]
    fn a_checkbox_sends_false_when_unchecked_and_shows_its_state() {
        let mut form = Form::<Profile>::new("profile");
        let doc =
            Html::parse_fragment(&form.input("newsletter", InputType::Checkbox).into_string());
        let hidden = one(&doc, r#"input[type="hidden"]"#);
        assert_eq!(hidden.value().attr("name"), Some("profile[newsletter]"));
        assert_eq!(hidden.value().attr("value"), Some("false"));
        let checkbox = one(&doc, r#"input[type="checkbox"]"#);
        assert_eq!(checkbox.value().attr("value"), Some("true"));
        assert_eq!(checkbox.value().attr("checked"), None);

        form.change(json!({"profile": {"name": "Jo", "newsletter": "true"}}));
        assert!(form.params().newsletter);
        let doc =
            Html::parse_fragment(&form.input("newsletter", InputType::Checkbox).into_string());
        assert!(one(&doc, r#"input[type="checkbox"]"#)
            .value()
            .attr("checked")
            .is_some());

        form.change(json!({"profile": {"name": "Jo", "newsletter": "false"}}));
        assert!(!form.params().newsletter);
    }

    #[test]
    fn nested_fields_are_named_and_identified_as_in_phoenix() {
        let mut form = Form::<Profile>::new("profile");
        form.change(json!({"profile": {"address": {"city": "Lyon"}}}));
        let doc = Html::parse_fragment(
            &form
                .field("address[city]", "City", InputType::Text)
                .into_string(),
        );
        let input = one(&doc, "input");
        assert_eq!(input.value().attr("name"), Some("profile[address][city]"));
        assert_eq!(input.value().attr("id"), Some("profile_address_city"));
        assert_eq!(input.value().attr("value"), Some("Lyon"));
        assert_eq!(
            one(&doc, "label").value().attr("for"),
            Some("profile_address_city")
        );
    }

    #[test]
    fn every_text_like_type_renders_as_its_input_type() {
        let form = Form::<UserParams>::new("user");
        for (kind, name) in [
            (InputType::Text, "text"),
            (InputType::Email, "email"),
            (InputType::Password, "password"),
            (InputType::Number, "number"),
            (InputType::Tel, "tel"),
            (InputType::Url, "url"),
            (InputType::Search, "search"),
            (InputType::Date, "date"),
            (InputType::Time, "time"),
            (InputType::DateTimeLocal, "datetime-local"),
            (InputType::Color, "color"),
            (InputType::Hidden, "hidden"),
        ] {
            let doc = Html::parse_fragment(&form.input("name", kind).into_string());
            assert_eq!(one(&doc, "input").value().attr("type"), Some(name));
        }
    }
}

// ---- a live view over the real socket ----

#[cfg(feature = "testing")]
mod live {
    use super::*;
    use axum::Router;
    use liveview_core::maud::{html, Markup};
    use liveview_core::testing::live;
    use liveview_core::{Live, LiveConfig, LiveEvent, LiveView, Params, Result, Session, Socket};
    use serde_json::Value;

    struct NewUser {
        form: Form<UserParams>,
        saved: Vec<String>,
    }

    #[derive(LiveEvent)]
    enum UserEvent {
        Validate(Value),
        Save(Value),
    }

    impl LiveView for NewUser {
        type Event = UserEvent;
        type Info = ();

        async fn mount(_: Params, _: &Session, _: &mut Socket<Self>) -> Result<Self> {
            Ok(NewUser {
                form: Form::new("user"),
                saved: Vec::new(),
            })
        }

        async fn handle_event(&mut self, event: UserEvent, _: &mut Socket<Self>) -> Result<()> {
            match event {
                UserEvent::Validate(value) => self.form.change(value),
                UserEvent::Save(value) => {
                    if let Ok(user) = self.form.submit(value) {
                        self.saved.push(user.email.clone());
                        self.form.reset();
                    }
                }
            }
            Ok(())
        }

        fn render(&self) -> Markup {
            html! {
                form id="user-form" phx-change="validate" phx-submit="save" {
                    (self.form.field("name", "Name", InputType::Text))
                    (self.form.field("email", "Email", InputType::Email))
                    (self.form.field("password", "Password", InputType::Password))
                    button { "Save" }
                }
                ul id="saved" { @for email in &self.saved { li { (email) } } }
            }
        }
    }

    fn app() -> Router {
        let live = Live::new(LiveConfig::default());
        Router::new()
            .route("/users/new", live.view::<NewUser>())
            .merge(live.client_routes())
    }

    #[tokio::test]
    async fn a_live_view_validates_on_change_and_saves_on_submit() {
        let mut view = live(app(), "/users/new").await.unwrap();
        assert!(!view.has_element("p.error"));

        view.event("validate", change("J", "", "", "user[name]"))
            .await
            .unwrap();
        assert!(view.has_element_with_text(
            "p.error[data-for=\"user[name]\"]",
            "should be at least 2 character(s)"
        ));
        assert!(!view.has_element("p.error[data-for=\"user[email]\"]"));
        assert!(view.render().contains(r#"value="J""#));

        view.form("#user-form", json!({})).submit().await.unwrap();
        assert!(view.has_element_with_text("p.error[data-for=\"user[email]\"]", "can't be blank"));
        assert!(
            view.has_element_with_text("p.error[data-for=\"user[password]\"]", "can't be blank")
        );

        view.form(
            "#user-form",
            json!({"user": {"name": "Jo", "email": "jo@example.com", "password": GOOD_PASSWORD}}),
        )
        .submit()
        .await
        .unwrap();
        assert!(view.has_element_with_text("#saved li", "jo@example.com"));
        assert!(!view.has_element("p.error"));
        assert!(view.render().contains(r#"id="user_name" value="""#));
    }
}
