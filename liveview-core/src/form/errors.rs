//! `Errors`, the `Validate` trait and the changeset-like checks.

use std::fmt;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// Validation messages by field, in the order the checks added them.
///
/// One value serves both sides of an app: a live [`Form`](crate::Form) shows the messages
/// next to the inputs, and a JSON handler returns them as they are. It serialises to the
/// body Phoenix answers with on `422 Unprocessable Entity`, and as an axum response it is
/// exactly that:
///
/// ```
/// use liveview_core::Errors;
///
/// let mut errors = Errors::new();
/// errors
///     .require("email", "")
///     .length("name", "J", 2, 100)
///     .check("age", false, "must be 18 or over");
/// assert_eq!(
///     serde_json::to_string(&errors).unwrap(),
///     r#"{"errors":{"email":["can't be blank"],"name":["should be at least 2 character(s)"],"age":["must be 18 or over"]}}"#
/// );
/// assert_eq!(errors.get("email"), ["can't be blank"]);
/// assert!(errors.get("password").is_empty());
/// ```
///
/// Field names are the names inside the form: `"email"` for the input `user[email]`, and
/// `"address[city]"` for a nested `user[address][city]`.
#[derive(Debug, Clone, Default)]
pub struct Errors {
    fields: Vec<(String, Vec<String>)>,
    /// Fields that [`Errors::require`] found blank: later checks on them are skipped.
    blank: Vec<String>,
}

/// Two `Errors` are equal when they hold the same messages in the same order.
impl PartialEq for Errors {
    fn eq(&self, other: &Self) -> bool {
        self.fields == other.fields
    }
}

impl Eq for Errors {}

impl Errors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when no check failed: the params can be saved.
    ///
    /// ```
    /// assert!(liveview_core::Errors::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The messages for one field, in the order they were added (empty if it has none).
    ///
    /// ```
    /// let mut errors = liveview_core::Errors::new();
    /// errors.add("email", "has already been taken");
    /// assert_eq!(errors.get("email"), ["has already been taken"]);
    /// ```
    pub fn get(&self, field: &str) -> &[String] {
        self.fields
            .iter()
            .find(|(name, _)| name == field)
            .map_or(&[], |(_, messages)| messages.as_slice())
    }

    /// Every field that has messages, with its messages, in the order they were added.
    ///
    /// ```
    /// let mut errors = liveview_core::Errors::new();
    /// errors.require("name", "").require("email", " ");
    /// let fields: Vec<&str> = errors.iter().map(|(field, _)| field).collect();
    /// assert_eq!(fields, ["name", "email"]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.fields
            .iter()
            .map(|(field, messages)| (field.as_str(), messages.as_slice()))
    }

    /// Adds a message to a field, always: for what only the app can tell, such as a
    /// database answering that an email is taken (Ecto's `add_error`). A message the field
    /// already has is not repeated.
    ///
    /// ```
    /// let mut errors = liveview_core::Errors::new();
    /// errors.add("email", "has already been taken");
    /// assert!(!errors.is_empty());
    /// ```
    pub fn add(&mut self, field: &str, message: impl Into<String>) -> &mut Self {
        let message = message.into();
        match self.fields.iter_mut().find(|(name, _)| name == field) {
            Some((_, messages)) => {
                if !messages.contains(&message) {
                    messages.push(message);
                }
            }
            None => self.fields.push((field.to_owned(), vec![message])),
        }
        self
    }

    /// `can't be blank` when the value is blank: an empty or whitespace-only string, or
    /// `None` (Ecto's `validate_required`). A field found blank gets no further message from
    /// [`Errors::check`] or [`Errors::length`], so an empty field says only that it is
    /// blank, as in Phoenix.
    ///
    /// ```
    /// let mut errors = liveview_core::Errors::new();
    /// let age: Option<u32> = None;
    /// errors.require("name", "  ").require("email", "a@b").require("age", &age);
    /// assert_eq!(errors.get("name"), ["can't be blank"]);
    /// assert!(errors.get("email").is_empty());
    /// assert_eq!(errors.get("age"), ["can't be blank"]);
    /// ```
    pub fn require<V: Blank + ?Sized>(&mut self, field: &str, value: &V) -> &mut Self {
        if value.is_blank() {
            self.add(field, "can't be blank");
            if !self.blank.iter().any(|name| name == field) {
                self.blank.push(field.to_owned());
            }
        }
        self
    }

    /// `should be at least {min} character(s)` or `should be at most {max} character(s)`
    /// (Ecto's `validate_length`). Characters are Unicode scalar values, not bytes: `"zoë"`
    /// is 3. A blank value is left to [`Errors::require`], as Ecto skips a missing value;
    /// pass `0` or `usize::MAX` for no lower or upper bound.
    ///
    /// ```
    /// let mut errors = liveview_core::Errors::new();
    /// errors
    ///     .length("name", "Zoë", 2, 3)
    ///     .length("bio", "far too long", 0, 5)
    ///     .length("nick", "", 2, 10);
    /// assert!(errors.get("name").is_empty());
    /// assert_eq!(errors.get("bio"), ["should be at most 5 character(s)"]);
    /// assert!(errors.get("nick").is_empty());
    /// ```
    pub fn length(&mut self, field: &str, value: &str, min: usize, max: usize) -> &mut Self {
        if value.is_blank() || self.is_blank(field) {
            return self;
        }
        let count = value.chars().count();
        if count < min {
            self.add(field, format!("should be at least {min} character(s)"));
        } else if count > max {
            self.add(field, format!("should be at most {max} character(s)"));
        }
        self
    }

    /// Adds `message` unless `ok` holds: any rule the app can compute (Ecto's
    /// `validate_format`, `validate_number`, `validate_acceptance`, ...). Skipped for a field
    /// that [`Errors::require`] found blank.
    ///
    /// ```
    /// let mut errors = liveview_core::Errors::new();
    /// let email = "jo example.com";
    /// errors.check(
    ///     "email",
    ///     email.contains('@') && !email.contains(char::is_whitespace),
    ///     "must have the @ sign and no spaces",
    /// );
    /// assert_eq!(errors.get("email"), ["must have the @ sign and no spaces"]);
    /// ```
    pub fn check(&mut self, field: &str, ok: bool, message: impl Into<String>) -> &mut Self {
        if !ok && !self.is_blank(field) {
            self.add(field, message);
        }
        self
    }

    /// `Ok(())` without errors, else `Err(self)`: with `?` in a handler returning
    /// `Result<_, Errors>`, invalid input answers 422 and stops there.
    ///
    /// ```
    /// use liveview_core::Errors;
    ///
    /// fn save(name: &str) -> Result<(), Errors> {
    ///     let mut errors = Errors::new();
    ///     errors.require("name", name);
    ///     errors.into_result()?;
    ///     Ok(())
    /// }
    /// assert!(save("Jo").is_ok());
    /// assert!(save("").is_err());
    /// ```
    pub fn into_result(self) -> Result<(), Errors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    fn is_blank(&self, field: &str) -> bool {
        self.blank.iter().any(|name| name == field)
    }
}

/// `{"errors":{"field":["message", ...], ...}}`, fields in the order they were added.
impl Serialize for Errors {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Fields<'a>(&'a [(String, Vec<String>)]);

        impl Serialize for Fields<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(self.0.len()))?;
                for (field, messages) in self.0 {
                    map.serialize_entry(field, messages)?;
                }
                map.end()
            }
        }

        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("errors", &Fields(&self.fields))?;
        map.end()
    }
}

/// `422 Unprocessable Entity` with the JSON body above, so a handler can return
/// `Result<_, Errors>`.
///
/// ```
/// use axum::response::IntoResponse;
///
/// let mut errors = liveview_core::Errors::new();
/// errors.require("email", "");
/// assert_eq!(errors.into_response().status(), 422);
/// ```
impl IntoResponse for Errors {
    fn into_response(self) -> Response {
        (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(self)).into_response()
    }
}

/// `email can't be blank; name should be at least 2 character(s)`, for logs.
impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (field, messages) in &self.fields {
            for message in messages {
                if !first {
                    f.write_str("; ")?;
                }
                first = false;
                write!(f, "{field} {message}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

/// The app's validation of its params: one plain function, used by a live
/// [`Form`](crate::Form) on every change and submit, and called directly by a JSON handler.
///
/// It sees only the params, not the form, so what it says does not depend on where the
/// params came from.
///
/// ```
/// use liveview_core::{Errors, Validate};
///
/// #[derive(serde::Deserialize, Default)]
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
///             self.email.contains('@'),
///             "must have the @ sign and no spaces",
///         );
///         errors
///     }
/// }
///
/// let params = UserParams { name: "Jo".into(), email: String::new() };
/// assert_eq!(params.validate().get("email"), ["can't be blank"]);
/// ```
pub trait Validate {
    /// Every problem with these params, by field; empty when they can be saved.
    fn validate(&self) -> Errors;
}

/// What [`Errors::require`] calls blank: an empty or whitespace-only string, or `None`.
/// Numbers, booleans and characters are never blank (Ecto accepts `false` and `0`).
///
/// ```
/// use liveview_core::Blank;
///
/// assert!(" \n".is_blank());
/// assert!(None::<u32>.is_blank());
/// assert!(!Some(0).is_blank());
/// ```
pub trait Blank {
    /// Whether the value counts as not given.
    fn is_blank(&self) -> bool;
}

impl Blank for str {
    fn is_blank(&self) -> bool {
        self.trim().is_empty()
    }
}

impl Blank for String {
    fn is_blank(&self) -> bool {
        self.as_str().is_blank()
    }
}

impl<T: Blank + ?Sized> Blank for &T {
    fn is_blank(&self) -> bool {
        (**self).is_blank()
    }
}

impl<T: Blank> Blank for Option<T> {
    fn is_blank(&self) -> bool {
        self.as_ref().is_none_or(Blank::is_blank)
    }
}

macro_rules! never_blank {
    ($($t:ty),*) => {
        $(impl Blank for $t {
            fn is_blank(&self) -> bool {
                false
            }
        })*
    };
}

never_blank!(bool, char, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64);
