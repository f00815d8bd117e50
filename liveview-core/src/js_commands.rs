//! JS commands: small programs the client runs in the browser when a binding fires, without
//! waiting for the server (protocol §5.1).
//!
//! A modal that opens and closes through the server waits a round trip each time; with
//! [`JS`] the click shows it at once (and animates it), and may still tell the server with
//! [`JS::push`] or move the URL with [`JS::patch`]. A [`JS`] is written where an event name
//! would go (`phx-click`, `phx-submit`, `phx-change`, `phx-keydown`, ...); an attribute whose
//! value is a plain event name keeps working as before.
//!
//! ```
//! use liveview_core::maud::html;
//! use liveview_core::js_commands::{On, Transition, JS};
//!
//! let open = JS::new()
//!     .show(On::to("#modal").transition(Transition::new("fade-in", "opacity-0", "opacity-100")).time(150))
//!     .focus("#modal input");
//! let page = html! { button phx-click=(open) { "New" } }.into_string();
//! // The client reads the attribute back as `[["show",{...}],["focus",{"to":"#modal input"}]]`.
//! assert!(page.starts_with(r#"<button phx-click="[[&quot;show&quot;,{&quot;time&quot;:150,"#));
//! ```
//!
//! Changes a command makes to an element (its classes, its `style`, an attribute it set)
//! survive later patches from the server, as long as the server does not change that
//! attribute itself: a modal shown by [`JS::show`] stays shown while the server patches the
//! form inside it.

use std::fmt;

use serde_json::{json, Map, Value};

/// The command names of the wire format (protocol §5.1), named once; the JS client's
/// `src/protocol.js` names the same words (`JS_*`), both checked against
/// `tests/vectors/protocol_words.json`.
pub(crate) mod kind {
    pub(crate) const SHOW: &str = "show";
    pub(crate) const HIDE: &str = "hide";
    pub(crate) const TOGGLE: &str = "toggle";
    pub(crate) const ADD_CLASS: &str = "add_class";
    pub(crate) const REMOVE_CLASS: &str = "remove_class";
    pub(crate) const TRANSITION: &str = "transition";
    pub(crate) const PUSH: &str = "push";
    pub(crate) const NAVIGATE: &str = "navigate";
    pub(crate) const PATCH: &str = "patch";
    pub(crate) const DISPATCH: &str = "dispatch";
    pub(crate) const FOCUS: &str = "focus";
    pub(crate) const SET_ATTRIBUTE: &str = "set_attribute";
    pub(crate) const EXEC: &str = "exec";
}

/// A chain of commands, run in order by the client when the binding it is written into
/// fires. Build it with the methods below; put it into a template with `(js)`, which
/// writes its JSON encoding, escaped for an attribute.
///
/// ```
/// use liveview_core::js_commands::JS;
///
/// let close = JS::new().hide("#modal").patch("/users");
/// assert_eq!(close.to_string(), r##"[["hide",{"to":"#modal"}],["patch",{"href":"/users"}]]"##);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JS {
    commands: Vec<Value>,
}

/// Which elements a command acts on, and how visibility and class changes animate.
///
/// Without a selector (`On::this()`) the command acts on the element whose binding fired.
/// A `&str` is a selector: `JS::new().hide("#modal")` is `JS::new().hide(On::to("#modal"))`.
///
/// ```
/// use liveview_core::js_commands::{On, JS};
///
/// let js = JS::new().add_class("active", On::this()).show(On::to(".panel").display("flex"));
/// assert_eq!(
///     js.to_string(),
///     r#"[["add_class",{"names":"active"}],["show",{"display":"flex","to":".panel"}]]"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct On {
    to: Option<String>,
    transition: Option<Transition>,
    time: Option<u32>,
    display: Option<String>,
}

impl On {
    /// The element whose binding fired.
    pub fn this() -> Self {
        On::default()
    }

    /// Every element that matches the CSS `selector` in the document.
    pub fn to(selector: impl Into<String>) -> Self {
        On {
            to: Some(selector.into()),
            ..On::default()
        }
    }

    /// Animates the change with these classes (see [`Transition`]).
    pub fn transition(mut self, transition: impl Into<Transition>) -> Self {
        self.transition = Some(transition.into());
        self
    }

    /// How long the transition runs, in milliseconds (the client's default is 200).
    pub fn time(mut self, ms: u32) -> Self {
        self.time = Some(ms);
        self
    }

    /// The CSS `display` that [`JS::show`] gives an element its stylesheet hides
    /// (default `block`).
    pub fn display(mut self, display: impl Into<String>) -> Self {
        self.display = Some(display.into());
        self
    }

    fn write_into(self, args: &mut Map<String, Value>) {
        if let Some(to) = self.to {
            args.insert("to".into(), to.into());
        }
        if let Some(t) = self.transition {
            args.insert("transition".into(), json!([t.running, t.start, t.end]));
        }
        if let Some(time) = self.time {
            args.insert("time".into(), time.into());
        }
        if let Some(display) = self.display {
            args.insert("display".into(), display.into());
        }
    }
}

impl From<&str> for On {
    fn from(selector: &str) -> Self {
        On::to(selector)
    }
}

impl From<String> for On {
    fn from(selector: String) -> Self {
        On::to(selector)
    }
}

/// The three class lists of an animation, each space-separated: `running` for the whole
/// transition (it names the CSS `transition` or `animation`), `start` for its first frame,
/// `end` from the second frame on. After the [`On::time`] the classes are removed and the
/// final state (shown, hidden) is applied.
///
/// A `&str` is a `running` list alone, for a keyframe animation: `Transition::from("shake")`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transition {
    running: String,
    start: String,
    end: String,
}

impl Transition {
    /// The classes while running, at the start, and at the end.
    pub fn new(
        running: impl Into<String>,
        start: impl Into<String>,
        end: impl Into<String>,
    ) -> Self {
        Transition {
            running: running.into(),
            start: start.into(),
            end: end.into(),
        }
    }
}

impl From<&str> for Transition {
    fn from(running: &str) -> Self {
        Transition::new(running, "", "")
    }
}

/// An event [`JS::push`] sends to the server, through the same path as a plain binding
/// (rate shaping, loading classes, the reply's patch).
///
/// ```
/// use liveview_core::js_commands::{Push, JS};
/// use serde_json::json;
///
/// let js = JS::new().push(Push::event("select").value(json!({"tab": "billing"})).target("#tabs"));
/// assert_eq!(
///     js.to_string(),
///     r##"[["push",{"event":"select","target":"#tabs","value":{"tab":"billing"}}]]"##
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Push {
    event: String,
    value: Option<Value>,
    target: Option<String>,
}

impl Push {
    /// The event `name`, as a `phx-click="name"` would send it.
    pub fn event(name: impl Into<String>) -> Self {
        Push {
            event: name.into(),
            value: None,
            target: None,
        }
    }

    /// Members added to the event's value (over the element's `phx-value-*`).
    pub fn value(mut self, value: Value) -> Self {
        self.value = Some(value);
        self
    }

    /// Sends the event from the first element matching `selector` instead of the one whose
    /// binding fired: its `phx-value-*` make the value and it shows the loading class.
    pub fn target(mut self, selector: impl Into<String>) -> Self {
        self.target = Some(selector.into());
        self
    }
}

impl From<&str> for Push {
    fn from(name: &str) -> Self {
        Push::event(name)
    }
}

impl JS {
    /// An empty chain.
    pub fn new() -> Self {
        JS::default()
    }

    /// Shows the elements: removes `hidden` and an inline `display: none`, then gives the
    /// [`On::display`] (or `block`) to those the stylesheet still hides.
    pub fn show(self, on: impl Into<On>) -> Self {
        self.on(kind::SHOW, Map::new(), on)
    }

    /// Hides the elements (`display: none`), after the transition when there is one.
    pub fn hide(self, on: impl Into<On>) -> Self {
        self.on(kind::HIDE, Map::new(), on)
    }

    /// Shows the hidden elements and hides the shown ones.
    pub fn toggle(self, on: impl Into<On>) -> Self {
        self.on(kind::TOGGLE, Map::new(), on)
    }

    /// Adds the space-separated class `names`.
    pub fn add_class(self, names: &str, on: impl Into<On>) -> Self {
        self.on(kind::ADD_CLASS, args([("names", names.into())]), on)
    }

    /// Removes the space-separated class `names`.
    pub fn remove_class(self, names: &str, on: impl Into<On>) -> Self {
        self.on(kind::REMOVE_CLASS, args([("names", names.into())]), on)
    }

    /// Runs a transition alone (a shake, a highlight): the classes come and go.
    pub fn transition(self, transition: impl Into<Transition>, on: impl Into<On>) -> Self {
        self.on(
            kind::TRANSITION,
            Map::new(),
            on.into().transition(transition),
        )
    }

    /// Sends an event to the server (see [`Push`]).
    pub fn push(self, push: impl Into<Push>) -> Self {
        let push = push.into();
        let mut a = args([("event", push.event.into())]);
        if let Some(value) = push.value {
            a.insert("value".into(), value);
        }
        if let Some(target) = push.target {
            a.insert("target".into(), target.into());
        }
        self.command(kind::PUSH, a)
    }

    /// Goes to another live view, as [`Socket::push_navigate`](crate::Socket::push_navigate).
    pub fn navigate(self, href: impl Into<String>) -> Self {
        self.command(kind::NAVIGATE, args([("href", href.into().into())]))
    }

    /// Patches this view's URL, as a `data-phx-link="patch"` link: the history gets the
    /// URL and the view's `handle_params` runs.
    pub fn patch(self, href: impl Into<String>) -> Self {
        self.command(kind::PATCH, args([("href", href.into().into())]))
    }

    /// Dispatches a DOM `CustomEvent` named `event` (bubbling) on the elements, for the
    /// page's own scripts.
    pub fn dispatch(self, event: &str, on: impl Into<On>) -> Self {
        self.on(kind::DISPATCH, args([("event", event.into())]), on)
    }

    /// As [`JS::dispatch`], with `detail` as the event's `detail`.
    pub fn dispatch_with(self, event: &str, detail: Value, on: impl Into<On>) -> Self {
        self.on(
            kind::DISPATCH,
            args([("event", event.into()), ("detail", detail)]),
            on,
        )
    }

    /// Focuses the first of the elements.
    pub fn focus(self, on: impl Into<On>) -> Self {
        self.on(kind::FOCUS, Map::new(), on)
    }

    /// Sets the attribute `name` to `value`.
    pub fn set_attribute(self, name: &str, value: &str, on: impl Into<On>) -> Self {
        self.on(
            kind::SET_ATTRIBUTE,
            args([("attr", json!([name, value]))]),
            on,
        )
    }

    /// Runs the commands stored in the attribute `attr` of the elements, as if their own
    /// binding had fired: one "close" chain on a modal (`data-cancel`), run by its close
    /// button, the Escape key and the backdrop alike.
    pub fn exec(self, attr: &str, on: impl Into<On>) -> Self {
        self.on(kind::EXEC, args([("attr", attr.into())]), on)
    }

    /// The chain's wire form (protocol §5.1): `[[kind, {args}], ...]`, a command without
    /// arguments as `[kind]`, the arguments' keys in alphabetical order.
    pub fn encode(&self) -> String {
        serde_json::to_string(&self.commands).expect("commands are JSON")
    }

    fn on(self, kind: &str, mut a: Map<String, Value>, on: impl Into<On>) -> Self {
        on.into().write_into(&mut a);
        self.command(kind, a)
    }

    fn command(mut self, kind: &str, args: Map<String, Value>) -> Self {
        self.commands.push(if args.is_empty() {
            json!([kind])
        } else {
            json!([kind, args])
        });
        self
    }
}

fn args<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

impl fmt::Display for JS {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl maud::Render for JS {
    fn render_to(&self, buffer: &mut String) {
        self.encode().as_str().render_to(buffer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_without_arguments_is_its_name_alone() {
        assert_eq!(JS::new().show(On::this()).to_string(), r#"[["show"]]"#);
        assert_eq!(JS::new().to_string(), "[]");
    }

    #[test]
    fn commands_keep_the_order_they_were_chained_in() {
        let js = JS::new()
            .add_class("a b", "#x")
            .remove_class("c", On::this())
            .toggle("#y")
            .push("go")
            .navigate("/elsewhere")
            .dispatch("copied", "#z")
            .set_attribute("aria-expanded", "true", "#m")
            .exec("data-cancel", "#m");
        let kinds: Vec<String> = serde_json::from_str::<Vec<Value>>(&js.encode())
            .unwrap()
            .iter()
            .map(|c| c[0].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            kinds,
            [
                "add_class",
                "remove_class",
                "toggle",
                "push",
                "navigate",
                "dispatch",
                "set_attribute",
                "exec"
            ]
        );
    }

    #[test]
    fn a_transition_writes_its_three_class_lists_and_a_single_list_leaves_two_empty() {
        let js = JS::new()
            .hide(
                On::to("#m")
                    .transition(Transition::new("fade", "o-100", "o-0"))
                    .time(90),
            )
            .transition("shake", On::this());
        assert_eq!(
            js.to_string(),
            r##"[["hide",{"time":90,"to":"#m","transition":["fade","o-100","o-0"]}],["transition",{"transition":["shake","",""]}]]"##
        );
    }

    #[test]
    fn push_writes_only_the_options_it_was_given() {
        assert_eq!(
            JS::new().push("save").to_string(),
            r#"[["push",{"event":"save"}]]"#
        );
        assert_eq!(
            JS::new()
                .push(Push::event("save").value(json!({"id": 1})))
                .to_string(),
            r#"[["push",{"event":"save","value":{"id":1}}]]"#
        );
    }

    #[test]
    fn in_a_template_the_encoding_is_escaped_for_the_attribute() {
        let js = JS::new().dispatch_with("say", json!({"text": "it's <b> & \"q\""}), On::this());
        let html = maud::html! { button phx-click=(js) {} }.into_string();
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("&quot;"), "{html}");
        // What the browser reads back from the attribute is the encoding itself.
        let attr = html
            .split('"')
            .nth(1)
            .unwrap()
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        assert_eq!(attr, js.encode());
    }

    #[test]
    fn command_names_are_the_words_the_client_reads() {
        let words: Value =
            serde_json::from_str(include_str!("../../tests/vectors/protocol_words.json"))
                .expect("protocol_words.json is JSON");
        let ours = json!({
            "show": kind::SHOW, "hide": kind::HIDE, "toggle": kind::TOGGLE,
            "add_class": kind::ADD_CLASS, "remove_class": kind::REMOVE_CLASS,
            "transition": kind::TRANSITION, "push": kind::PUSH, "navigate": kind::NAVIGATE,
            "patch": kind::PATCH, "dispatch": kind::DISPATCH, "focus": kind::FOCUS,
            "set_attribute": kind::SET_ATTRIBUTE, "exec": kind::EXEC,
        });
        assert_eq!(words["js_command"], ours);
    }
}
