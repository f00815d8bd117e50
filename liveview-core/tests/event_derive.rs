//! `#[derive(LiveEvent)]`: names, payloads and the errors a client sees.

use liveview_core::{EventError, LiveEvent};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, PartialEq, Deserialize)]
struct UserParams {
    email: String,
}

#[derive(Debug, PartialEq, LiveEvent)]
enum UserEvent {
    Validate {
        user: UserParams,
    },
    Save(UserParams),
    #[event(rename = "lv:delete")]
    Delete {
        #[serde(default)]
        id: Option<String>,
    },
    ShowAll,
}

#[test]
fn snake_and_kebab_names_both_decode() {
    assert_eq!(
        UserEvent::decode("show_all", json!({})),
        Ok(UserEvent::ShowAll)
    );
    assert_eq!(
        UserEvent::decode("show-all", json!({"ignored": 1})),
        Ok(UserEvent::ShowAll)
    );
    assert!(UserEvent::decode("showall", json!({})).is_err());
}

#[test]
fn struct_variants_take_fields_and_tuple_variants_take_the_whole_value() {
    let form = json!({"user": {"email": "a@b"}, "_target": "user[email]"});
    assert_eq!(
        UserEvent::decode("validate", form),
        Ok(UserEvent::Validate {
            user: UserParams {
                email: "a@b".into()
            }
        })
    );
    assert_eq!(
        UserEvent::decode("save", json!({"email": "c@d"})),
        Ok(UserEvent::Save(UserParams {
            email: "c@d".into()
        }))
    );
}

#[test]
fn renamed_variants_and_serde_field_attributes_apply() {
    assert_eq!(
        UserEvent::decode("lv:delete", json!({})),
        Ok(UserEvent::Delete { id: None })
    );
    assert_eq!(
        UserEvent::NAMES,
        ["validate", "save", "lv:delete", "show_all"]
    );
}

#[test]
fn a_payload_that_does_not_fit_names_the_event_and_the_field() {
    let error = UserEvent::decode("validate", json!({"user": {"mail": "x"}})).unwrap_err();
    assert_eq!(
        error.to_string(),
        "event \"validate\": invalid payload: missing field `email`"
    );
    assert!(matches!(error, EventError::Payload { .. }));
}

#[test]
fn a_view_without_events_refuses_every_name() {
    assert_eq!(
        <() as LiveEvent>::decode("x", json!({}))
            .unwrap_err()
            .to_string(),
        "unknown event \"x\"; this view handles no events"
    );
}
