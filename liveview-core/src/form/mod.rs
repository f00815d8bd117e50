//! Typed forms: params decoded into a serde type, validated by one app function, with the
//! messages shown only for the fields the user has used. Phoenix's `to_form` + changeset.

mod de;
mod errors;
mod html;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

pub use errors::{Blank, Errors, Validate};
pub use html::InputType;

/// A form's state in a view: what the user typed, the params decoded from it, the
/// validation messages, and which fields the user has used.
///
/// A form is named after the prefix of its inputs: `Form::new("user")` owns
/// `user[name]`, `user[email]`, ... and reads `value["user"]` from each event. Keep it in
/// the view, feed it every `phx-change` and `phx-submit` value, and render it with the
/// helpers ([`Form::field`], [`Form::input`], [`Form::errors_for`]):
///
/// * the params are decoded into `T` on every event (any `serde::Deserialize` type; numbers
///   and booleans are read from the strings the browser sends, a field the form did not send
///   is empty, an empty field is `None` for an `Option`);
/// * `T`'s [`Validate`] runs on every event; a field's messages show once the user has
///   used it (the `_target` of a change names it, as Phoenix's `used_input?`), and all of
///   them after a submit;
/// * an input always shows what the user typed ([`Form::value`]), even text that is not a
///   valid value for its type (`"abc"` for a number): that field gets `is invalid`.
///
/// ```
/// use liveview_core::{maud::{html, Markup}, Errors, Form, InputType, LiveEvent, LiveView};
/// use liveview_core::{Params, Result, Session, Socket, Validate};
/// use serde_json::Value;
///
/// #[derive(serde::Deserialize, Default, Clone)]
/// #[serde(default)]
/// struct UserParams {
///     name: String,
///     email: String,
/// }
///
/// impl Validate for UserParams {
///     fn validate(&self) -> Errors {
///         let mut errors = Errors::new();
///         errors.require("name", &self.name).length("name", &self.name, 2, 100);
///         errors.require("email", &self.email).check(
///             "email",
///             self.email.contains('@') && !self.email.contains(char::is_whitespace),
///             "must have the @ sign and no spaces",
///         );
///         errors
///     }
/// }
///
/// struct NewUser {
///     form: Form<UserParams>,
///     saved: Vec<String>,
/// }
///
/// #[derive(LiveEvent)]
/// enum UserEvent {
///     Validate(Value), // phx-change="validate": the whole form value
///     Save(Value),     // phx-submit="save"
/// }
///
/// impl LiveView for NewUser {
///     type Event = UserEvent;
///     type Info = ();
///
///     async fn mount(_: Params, _: &Session, _: &mut Socket<Self>) -> Result<Self> {
///         Ok(NewUser { form: Form::new("user"), saved: Vec::new() })
///     }
///
///     async fn handle_event(&mut self, event: UserEvent, socket: &mut Socket<Self>) -> Result<()> {
///         match event {
///             UserEvent::Validate(value) => self.form.change(value),
///             UserEvent::Save(value) => {
///                 if let Ok(user) = self.form.submit(value) {
///                     self.saved.push(user.name.clone());
///                     self.form.reset();
///                     socket.put_flash("info", "User created");
///                 }
///             }
///         }
///         Ok(())
///     }
///
///     fn render(&self) -> Markup {
///         html! {
///             form id="user-form" phx-change="validate" phx-submit="save" {
///                 (self.form.field("name", "Name", InputType::Text))
///                 (self.form.field("email", "Email", InputType::Email))
///                 button { "Save" }
///             }
///         }
///     }
/// }
///
/// // What the view does with two events, without a socket:
/// let mut form = Form::<UserParams>::new("user");
/// form.change(serde_json::json!({"user": {"name": "J", "email": ""}, "_target": "user[name]"}));
/// assert_eq!(form.errors("name"), ["should be at least 2 character(s)"]);
/// assert!(form.errors("email").is_empty()); // not used yet
/// assert!(form.submit(serde_json::json!({"user": {"name": "Jo", "email": ""}})).is_err());
/// assert_eq!(form.errors("email"), ["can't be blank"]);
/// ```
///
/// Give the `<form>` an `id`: after a reconnect the client sends what the user had typed as
/// a change without `_target`, which restores the values and leaves the used fields as
/// they were.
#[derive(Debug, Clone)]
pub struct Form<T> {
    name: String,
    params: T,
    /// The object under the form's name, as sent: strings, nested objects, arrays.
    raw: Value,
    used: Vec<String>,
    submitted: bool,
    errors: Errors,
}

impl<T: DeserializeOwned + Validate + Default> Form<T> {
    /// An empty form named `name` (the inputs' prefix; `""` for unprefixed names such as
    /// `query`), with `T::default()` as params. Nothing is used yet, so no errors show.
    ///
    /// ```
    /// # #[derive(serde::Deserialize, Default)] struct Search { query: String }
    /// # impl liveview_core::Validate for Search {
    /// #     fn validate(&self) -> liveview_core::Errors { liveview_core::Errors::new() }
    /// # }
    /// let form = liveview_core::Form::<Search>::new("");
    /// assert_eq!(form.field_name("query"), "query");
    /// assert_eq!(form.value("query"), "");
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Self::with_params(name.into(), T::default(), Value::Object(Map::new()))
    }

    /// Starts over after a successful save: default params, nothing typed, nothing used.
    ///
    /// ```
    /// # #[derive(serde::Deserialize, Default)] struct Search { query: String }
    /// # impl liveview_core::Validate for Search {
    /// #     fn validate(&self) -> liveview_core::Errors { liveview_core::Errors::new() }
    /// # }
    /// let mut form = liveview_core::Form::<Search>::new("search");
    /// form.change(serde_json::json!({"search": {"query": "rust"}}));
    /// form.reset();
    /// assert_eq!(form.value("query"), "");
    /// ```
    pub fn reset(&mut self) {
        *self = Self::new(std::mem::take(&mut self.name));
    }
}

impl<T: DeserializeOwned + Validate> Form<T> {
    /// A form that starts from existing params, to edit a record: the inputs show their
    /// values (numbers and booleans as text, `None` as empty).
    ///
    /// ```
    /// #[derive(serde::Deserialize, serde::Serialize)]
    /// struct Profile { name: String, age: Option<u32> }
    /// impl liveview_core::Validate for Profile {
    ///     fn validate(&self) -> liveview_core::Errors { liveview_core::Errors::new() }
    /// }
    ///
    /// let form = liveview_core::Form::from_params("profile", Profile { name: "Zoë".into(), age: Some(41) });
    /// assert_eq!(form.value("name"), "Zoë");
    /// assert_eq!(form.value("age"), "41");
    /// ```
    pub fn from_params(name: impl Into<String>, params: T) -> Self
    where
        T: Serialize,
    {
        let raw = serde_json::to_value(&params).map_or(Value::Null, as_text);
        Self::with_params(name.into(), params, raw)
    }

    fn with_params(name: String, params: T, raw: Value) -> Self {
        let raw = if raw.is_object() {
            raw
        } else {
            Value::Object(Map::new())
        };
        let errors = params.validate();
        Form {
            name,
            params,
            raw,
            used: Vec::new(),
            submitted: false,
            errors,
        }
    }

    /// Takes a `phx-change` value: decodes and validates the params, and marks the input
    /// named by `_target` as used. A change without `_target` (form recovery after a
    /// reconnect) updates the values and leaves the used fields as they were.
    ///
    /// ```
    /// # #[derive(serde::Deserialize, Default)] #[serde(default)] struct User { name: String, email: String }
    /// # impl liveview_core::Validate for User {
    /// #     fn validate(&self) -> liveview_core::Errors {
    /// #         let mut e = liveview_core::Errors::new(); e.require("name", &self.name).require("email", &self.email); e
    /// #     }
    /// # }
    /// use serde_json::json;
    ///
    /// let mut form = liveview_core::Form::<User>::new("user");
    /// form.change(json!({"user": {"name": "", "email": ""}, "_target": "user[name]"}));
    /// assert!(form.is_used("name") && !form.is_used("email"));
    /// form.change(json!({"user": {"name": "", "email": ""}}));
    /// assert!(form.is_used("name") && !form.is_used("email"));
    /// ```
    pub fn change(&mut self, value: Value) {
        let target = value
            .get("_target")
            .and_then(Value::as_str)
            .and_then(|target| self.field_of(target));
        if let Some(field) = target {
            if !self.used.contains(&field) {
                self.used.push(field);
            }
        }
        self.update(value);
    }

    /// Takes a `phx-submit` value: decodes and validates the params, and marks every field
    /// used so all errors show. `Ok` with the params when they are valid.
    ///
    /// ```
    /// # #[derive(serde::Deserialize, Default, Debug)] #[serde(default)] struct User { name: String }
    /// # impl liveview_core::Validate for User {
    /// #     fn validate(&self) -> liveview_core::Errors {
    /// #         let mut e = liveview_core::Errors::new(); e.require("name", &self.name); e
    /// #     }
    /// # }
    /// let mut form = liveview_core::Form::<User>::new("user");
    /// let errors = form.submit(serde_json::json!({"user": {"name": ""}})).unwrap_err();
    /// assert_eq!(errors.get("name"), ["can't be blank"]);
    /// let user = form.submit(serde_json::json!({"user": {"name": "Jo"}})).unwrap();
    /// assert_eq!(user.name, "Jo");
    /// ```
    pub fn submit(&mut self, value: Value) -> Result<&T, &Errors> {
        self.submitted = true;
        self.update(value);
        if self.errors.is_empty() {
            Ok(&self.params)
        } else {
            Err(&self.errors)
        }
    }

    fn update(&mut self, mut value: Value) {
        let raw = if self.name.is_empty() {
            if let Some(map) = value.as_object_mut() {
                map.remove("_target");
            }
            value
        } else {
            value
                .get_mut(self.name.as_str())
                .map(Value::take)
                .unwrap_or_default()
        };
        let raw = if raw.is_object() {
            raw
        } else {
            Value::Object(Map::new())
        };
        let decoded = de::decode::<T>(&raw);
        if let Some(params) = decoded.params {
            self.params = params;
        }
        self.raw = raw;
        // A field that could not be read says so, and only that (Ecto's cast errors).
        let mut errors = Errors::new();
        for (field, message) in &decoded.cast {
            errors.add(field, *message);
        }
        for (field, messages) in self.params.validate().iter() {
            if errors.get(field).is_empty() {
                for message in messages {
                    errors.add(field, message.as_str());
                }
            }
        }
        self.errors = errors;
    }
}

impl<T> Form<T> {
    /// The form's name, the prefix of its inputs' names.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The params decoded from the last event. A field whose text did not fit its type
    /// holds its serde default (or zero) and has an `is invalid` error; see [`Form::value`]
    /// for what the user typed. When no `T` can be built at all (an unknown choice for an
    /// enum field without a default), the params stay those of the last event that decoded.
    pub fn params(&self) -> &T {
        &self.params
    }

    /// What the user typed in a field, exactly, which is what its input must show (also
    /// when it is not a valid value, such as `"abc"` for a number). `""` for a field not
    /// sent or not a single value. Nested fields are written `address[city]`.
    ///
    /// ```
    /// # #[derive(serde::Deserialize, Default)] #[serde(default)] struct Person { age: u32 }
    /// # impl liveview_core::Validate for Person {
    /// #     fn validate(&self) -> liveview_core::Errors { liveview_core::Errors::new() }
    /// # }
    /// let mut form = liveview_core::Form::<Person>::new("person");
    /// form.change(serde_json::json!({"person": {"age": "forty"}, "_target": "person[age]"}));
    /// assert_eq!(form.value("age"), "forty");
    /// assert_eq!(form.params().age, 0);
    /// assert_eq!(form.errors("age"), ["is invalid"]);
    /// ```
    pub fn value(&self, field: &str) -> &str {
        de::lookup(&self.raw, field)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The field's messages if the user has used it (or submitted the form), else none:
    /// what to show next to its input.
    pub fn errors(&self, field: &str) -> &[String] {
        if self.is_used(field) {
            self.errors.get(field)
        } else {
            &[]
        }
    }

    /// Every message, used or not: what a submit would report.
    pub fn all_errors(&self) -> &Errors {
        &self.errors
    }

    /// True when the params have no errors at all (shown or not).
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// Whether the user has changed this field (or a field inside it), or submitted the
    /// form: Phoenix's `used_input?`.
    pub fn is_used(&self, field: &str) -> bool {
        self.submitted
            || self.used.iter().any(|used| {
                used == field
                    || used
                        .strip_prefix(field)
                        .is_some_and(|rest| rest.starts_with('['))
            })
    }

    /// Adds an error the validation cannot know, such as a database refusing a duplicate
    /// email after a submit. It shows like the others and lasts until the next event.
    ///
    /// ```
    /// # #[derive(serde::Deserialize, Default)] #[serde(default)] struct User { email: String }
    /// # impl liveview_core::Validate for User {
    /// #     fn validate(&self) -> liveview_core::Errors { liveview_core::Errors::new() }
    /// # }
    /// let mut form = liveview_core::Form::<User>::new("user");
    /// assert!(form.submit(serde_json::json!({"user": {"email": "jo@example.com"}})).is_ok());
    /// form.add_error("email", "has already been taken");
    /// assert_eq!(form.errors("email"), ["has already been taken"]);
    /// ```
    pub fn add_error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.add(field, message);
    }

    /// The field an input name refers to: `user[address][city]` -> `address[city]`;
    /// `tags[]` -> `tags`. `None` for an input of another form.
    fn field_of(&self, input: &str) -> Option<String> {
        let rest = if self.name.is_empty() {
            input
        } else {
            input.strip_prefix(self.name.as_str())?.strip_prefix('[')?
        };
        let rest = rest.strip_suffix("[]").unwrap_or(rest);
        let mut parts = de::segments(rest);
        let first = parts.next()?;
        Some(parts.fold(first.to_owned(), |field, part| format!("{field}[{part}]")))
    }
}

/// Params as the browser would send them: every scalar as text, `null` as empty.
fn as_text(value: Value) -> Value {
    match value {
        Value::Null => Value::String(String::new()),
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Number(n) => Value::String(n.to_string()),
        Value::String(s) => Value::String(s),
        Value::Array(items) => Value::Array(items.into_iter().map(as_text).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, as_text(v))).collect())
        }
    }
}
