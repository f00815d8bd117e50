//! Typed events: the names in `phx-click`, `phx-submit`, ... decoded into a view's own enum.

use serde_json::Value;

/// A view's event type, decoded from the name and value of a client event frame.
///
/// Derive it with [`macro@crate::LiveEvent`] rather than writing it by hand: variant names
/// map to event names in snake_case (`SaveUser` is `"save_user"`; `"save-user"` is accepted
/// too), unit variants take no payload, struct variants take their fields from the value
/// (`phx-value-*` attributes or the serialised form), and a one-field tuple variant
/// deserialises the whole value into its field.
///
/// ```
/// use liveview_core::LiveEvent;
///
/// #[derive(LiveEvent, Debug, PartialEq)]
/// enum CounterEvent {
///     Increment,
///     SetTo { value: i64 },
/// }
///
/// let event = CounterEvent::decode("set_to", serde_json::json!({"value": 7})).unwrap();
/// assert_eq!(event, CounterEvent::SetTo { value: 7 });
/// let error = CounterEvent::decode("reset", serde_json::json!({})).unwrap_err();
/// assert_eq!(error.to_string(), "unknown event \"reset\"; this view handles: increment, set_to");
/// ```
pub trait LiveEvent: Sized + Send + 'static {
    /// The event names this type accepts, for error messages.
    const NAMES: &'static [&'static str];

    /// Decodes one event; an unknown name or a payload that does not fit is an error that
    /// goes back to the client while the view keeps running.
    fn decode(name: &str, value: Value) -> Result<Self, EventError>;
}

/// Why an event frame could not become a view event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// No variant has this name.
    Unknown {
        /// The name the client sent.
        name: String,
        /// The names the view handles, for the message.
        known: &'static [&'static str],
    },
    /// The variant exists but the value does not deserialise into it.
    Payload {
        /// The event's name.
        name: String,
        /// What serde found wrong with the value.
        reason: String,
    },
}

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventError::Unknown { name, known: [] } => {
                write!(f, "unknown event {name:?}; this view handles no events")
            }
            EventError::Unknown { name, known } => {
                write!(
                    f,
                    "unknown event {name:?}; this view handles: {}",
                    known.join(", ")
                )
            }
            EventError::Payload { name, reason } => {
                write!(f, "event {name:?}: invalid payload: {reason}")
            }
        }
    }
}

impl std::error::Error for EventError {}

/// For views that handle no events.
impl LiveEvent for () {
    const NAMES: &'static [&'static str] = &[];

    fn decode(name: &str, _: Value) -> Result<Self, EventError> {
        Err(EventError::Unknown {
            name: name.to_owned(),
            known: Self::NAMES,
        })
    }
}

/// Whether `event` names the variant whose snake_case name is `snake`; kebab-case matches
/// too, so templates may use either. Used by the derive.
#[doc(hidden)]
pub fn name_matches(event: &str, snake: &str) -> bool {
    event.len() == snake.len()
        && event
            .bytes()
            .zip(snake.bytes())
            .all(|(e, s)| e == s || (e == b'-' && s == b'_'))
}

/// Decodes a payload for the derive, wrapping serde's message.
#[doc(hidden)]
pub fn payload<T: serde::de::DeserializeOwned>(name: &str, value: Value) -> Result<T, EventError> {
    serde_json::from_value(value).map_err(|e| EventError::Payload {
        name: name.to_owned(),
        reason: e.to_string(),
    })
}
