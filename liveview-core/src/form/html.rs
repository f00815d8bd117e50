//! maud helpers: inputs with their name, id, value and messages.

use maud::{html, Markup};

use super::Form;

/// The control [`Form::input`] renders: an `<input type=...>`, a `<textarea>`, or a
/// checkbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputType {
    /// `<input type="text">`
    Text,
    /// `<input type="email">`
    Email,
    /// `<input type="password">`
    Password,
    /// `<input type="number">`
    Number,
    /// `<input type="tel">`
    Tel,
    /// `<input type="url">`
    Url,
    /// `<input type="search">`
    Search,
    /// `<input type="date">`
    Date,
    /// `<input type="time">`
    Time,
    /// `<input type="datetime-local">`
    DateTimeLocal,
    /// `<input type="color">`
    Color,
    /// `<input type="hidden">`
    Hidden,
    /// A `<textarea>` holding the value.
    Textarea,
    /// A checkbox sending `true` when checked, preceded by a hidden input sending `false`
    /// so an unchecked box still says so (the form keeps the last value of a repeated name).
    Checkbox,
}

impl InputType {
    /// The `type` attribute.
    fn as_str(self) -> &'static str {
        match self {
            InputType::Text => "text",
            InputType::Email => "email",
            InputType::Password => "password",
            InputType::Number => "number",
            InputType::Tel => "tel",
            InputType::Url => "url",
            InputType::Search => "search",
            InputType::Date => "date",
            InputType::Time => "time",
            InputType::DateTimeLocal => "datetime-local",
            InputType::Color => "color",
            InputType::Hidden => "hidden",
            InputType::Textarea => "textarea",
            InputType::Checkbox => "checkbox",
        }
    }
}

impl<T> Form<T> {
    /// The input name of a field: `email` in form `user` is `user[email]`, and
    /// `address[city]` is `user[address][city]`. For inputs the helpers do not cover.
    ///
    /// ```
    /// # #[derive(serde::Deserialize, Default)] struct User { email: String }
    /// # impl liveview_core::Validate for User {
    /// #     fn validate(&self) -> liveview_core::Errors { liveview_core::Errors::new() }
    /// # }
    /// use liveview_core::maud::html;
    ///
    /// let form = liveview_core::Form::<User>::new("user");
    /// let markup = html! {
    ///     input type="email" name=(form.field_name("email")) id=(form.field_id("email"))
    ///         value=(form.value("email")) autocomplete="email";
    /// };
    /// assert_eq!(
    ///     markup.into_string(),
    ///     r#"<input type="email" name="user[email]" id="user_email" value="" autocomplete="email">"#
    /// );
    /// ```
    pub fn field_name(&self, field: &str) -> String {
        if self.name.is_empty() {
            return field.to_owned();
        }
        match field.split_once('[') {
            Some((first, rest)) => format!("{}[{first}][{rest}", self.name),
            None => format!("{}[{field}]", self.name),
        }
    }

    /// The input id of a field, Phoenix's: `user_email`, `user_address_city`. Labels point
    /// at it.
    pub fn field_id(&self, field: &str) -> String {
        let mut id = self.name.clone();
        for part in super::de::segments(field) {
            if !id.is_empty() {
                id.push('_');
            }
            id.push_str(part);
        }
        id
    }

    /// The field's input with its name, id and what the user typed (escaped), marked
    /// `aria-invalid` while it shows errors.
    ///
    /// ```
    /// # #[derive(serde::Deserialize, Default)] struct User { email: String }
    /// # impl liveview_core::Validate for User {
    /// #     fn validate(&self) -> liveview_core::Errors { liveview_core::Errors::new() }
    /// # }
    /// use liveview_core::{Form, InputType};
    ///
    /// let mut form = Form::<User>::new("user");
    /// form.change(serde_json::json!({"user": {"email": "<jo>"}}));
    /// assert_eq!(
    ///     form.input("email", InputType::Email).into_string(),
    ///     r#"<input type="email" name="user[email]" id="user_email" value="&lt;jo&gt;">"#
    /// );
    /// ```
    pub fn input(&self, field: &str, kind: InputType) -> Markup {
        let name = self.field_name(field);
        let id = self.field_id(field);
        let value = self.value(field);
        let invalid = (!self.errors(field).is_empty()).then_some("true");
        match kind {
            InputType::Textarea => html! {
                // The newline keeps a value's own leading newline: the parser drops the first.
                textarea name=(name) id=(id) aria-invalid=[invalid] { "\n" (value) }
            },
            InputType::Checkbox => {
                let checked = matches!(value.trim(), "true" | "on" | "1");
                html! {
                    input type="hidden" name=(name) value="false";
                    input type="checkbox" name=(name) id=(id) value="true" checked[checked]
                        aria-invalid=[invalid];
                }
            }
            _ => html! {
                input type=(kind.as_str()) name=(name) id=(id) value=(value) aria-invalid=[invalid];
            },
        }
    }

    /// A text input: `input(field, InputType::Text)`.
    pub fn text_input(&self, field: &str) -> Markup {
        self.input(field, InputType::Text)
    }

    /// The field's messages as `<p class="error">`, one per message, if it is used.
    ///
    /// ```
    /// # #[derive(serde::Deserialize, Default)] #[serde(default)] struct User { email: String }
    /// # impl liveview_core::Validate for User {
    /// #     fn validate(&self) -> liveview_core::Errors {
    /// #         let mut e = liveview_core::Errors::new(); e.require("email", &self.email); e
    /// #     }
    /// # }
    /// let mut form = liveview_core::Form::<User>::new("user");
    /// assert_eq!(form.errors_for("email").into_string(), "");
    /// let _ = form.submit(serde_json::json!({"user": {"email": ""}}));
    /// assert_eq!(
    ///     form.errors_for("email").into_string(),
    ///     r#"<p class="error" data-for="user[email]">can't be blank</p>"#
    /// );
    /// ```
    pub fn errors_for(&self, field: &str) -> Markup {
        let name = self.field_name(field);
        html! {
            @for message in self.errors(field) {
                p class="error" data-for=(name) { (message) }
            }
        }
    }

    /// Label, input and messages in a `<div class="field">`: a whole form row.
    ///
    /// ```
    /// # #[derive(serde::Deserialize, Default)] struct User { name: String }
    /// # impl liveview_core::Validate for User {
    /// #     fn validate(&self) -> liveview_core::Errors { liveview_core::Errors::new() }
    /// # }
    /// use liveview_core::{Form, InputType};
    ///
    /// let form = Form::<User>::new("user");
    /// assert_eq!(
    ///     form.field("name", "Name", InputType::Text).into_string(),
    ///     concat!(
    ///         r#"<div class="field"><label for="user_name">Name</label>"#,
    ///         r#"<input type="text" name="user[name]" id="user_name" value=""></div>"#,
    ///     )
    /// );
    /// ```
    pub fn field(&self, field: &str, label: &str, kind: InputType) -> Markup {
        html! {
            div class="field" {
                label for=(self.field_id(field)) { (label) }
                (self.input(field, kind))
                (self.errors_for(field))
            }
        }
    }
}
