//! The frames of protocol §2 and §3: parsing what the client sends, writing what it gets.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::render::Diff;

/// Close codes of the protocol's own (§8), beside RFC 6455's.
pub(crate) mod close_code {
    /// The client closes to reconnect at once (a missed heartbeat reply, a diff it could
    /// not apply): the view waits to be resumed, as after a lost connection.
    pub(crate) const RECONNECTING: u16 = 4000;
}

/// The frame kinds a client sends (§2), named once.
pub(crate) mod frame_kind {
    pub(crate) const JOIN: &str = "join";
    pub(crate) const EVENT: &str = "event";
    pub(crate) const NAV: &str = "nav";
    pub(crate) const HEARTBEAT: &str = "hb";
}

/// The attributes the server writes for the client to read (§1, §4.5), named once.
pub(crate) mod attribute {
    pub(crate) const UPDATE: &str = "phx-update";
    pub(crate) const UPDATE_STREAM: &str = "stream";
    pub(crate) const STREAM_AT: &str = "data-phx-stream-at";
    pub(crate) const STREAM_DELETE: &str = "data-phx-stream-delete";
    pub(crate) const STREAM_RESET: &str = "data-phx-stream-reset";
    pub(crate) const STREAM_LIMIT: &str = "data-phx-stream-limit";
    /// Values of `data-phx-link` (the attribute itself is written by `link.rs`).
    pub(crate) const LINK_PATCH: &str = "patch";
    pub(crate) const LINK_NAVIGATE: &str = "navigate";
}

/// A client frame, decoded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ClientFrame {
    Join {
        session: String,
        url: String,
        /// The resume token of the view this client had, when it is rejoining.
        resume: Option<String>,
    },
    Event {
        name: String,
        value: Value,
    },
    Nav {
        url: String,
    },
    Heartbeat,
}

/// A frame that could not be decoded: the ref when one was readable, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrameError {
    pub(crate) reference: u64,
    pub(crate) reason: String,
}

/// Decodes `[ref, kind, ...]`.
pub(crate) fn parse(text: &str) -> Result<(u64, ClientFrame), FrameError> {
    let fail = |reference, reason: &str| FrameError {
        reference,
        reason: format!("malformed frame: {reason}"),
    };
    let value: Value = serde_json::from_str(text).map_err(|e| fail(0, &e.to_string()))?;
    let Value::Array(mut items) = value else {
        return Err(fail(0, "expected a JSON array [ref, kind, ...]"));
    };
    let reference = items
        .first()
        .and_then(Value::as_u64)
        .filter(|&r| r > 0)
        .ok_or_else(|| fail(0, "the first element must be a positive integer ref"))?;
    let kind = items
        .get(1)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut take = |i: usize| std::mem::take(items.get_mut(i).unwrap_or(&mut Value::Null));
    let frame = match kind.as_str() {
        frame_kind::JOIN => {
            let mut options = take(2);
            let mut field = |name: &str| match options.get_mut(name).map(Value::take) {
                Some(Value::String(s)) => Ok(s),
                _ => Err(fail(reference, &format!("join needs a string {name:?}"))),
            };
            let session = field("session")?;
            let url = field("url")?;
            let resume = match options.get_mut("resume").map(Value::take) {
                None | Some(Value::Null) => None,
                Some(Value::String(token)) => Some(token),
                Some(_) => return Err(fail(reference, "join's \"resume\" must be a string")),
            };
            ClientFrame::Join {
                session,
                url,
                resume,
            }
        }
        frame_kind::EVENT => {
            let Value::String(name) = take(2) else {
                return Err(fail(reference, "event needs a string name"));
            };
            let value = match take(3) {
                Value::Null => Value::Object(Map::new()),
                v @ Value::Object(_) => v,
                _ => return Err(fail(reference, "an event value must be an object")),
            };
            ClientFrame::Event { name, value }
        }
        frame_kind::NAV => match take(2) {
            Value::String(url) => ClientFrame::Nav { url },
            _ => return Err(fail(reference, "nav needs a string url")),
        },
        frame_kind::HEARTBEAT => ClientFrame::Heartbeat,
        other => return Err(fail(reference, &format!("unknown frame kind {other:?}"))),
    };
    Ok((reference, frame))
}

/// The `meta` member of a reply (§3): what the client should do besides applying the diff.
///
/// The field names are the wire keys, so they are written here and nowhere else on the
/// server; the harness reads replies back through the same type. Fields are in
/// alphabetical order, the order the keys are written in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct ReplyMeta {
    /// The frame was refused; the view is still running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    /// `push_event`s: `[name, payload]` pairs, dispatched on `window` as `phx:NAME`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) events: Vec<(String, Value)>,
    /// The view has stopped; the socket closes after this frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fatal: Option<String>,
    /// With `redirect`: the flash for the next page, signed; the client keeps it in the
    /// `lv_flash` cookie for that page's request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) flash: Option<String>,
    /// Go to another live view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) navigate: Option<String>,
    /// The view patched its own URL (`history.pushState`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) patch: Option<String>,
    /// Leave for a plain URL with a full page load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) redirect: Option<String>,
    /// With `fatal`: the token can never be accepted again; reload the page.
    #[serde(skip_serializing_if = "is_false")]
    pub(crate) reload: bool,
    /// In a join reply: the token a rejoin presents to resume this view (§3.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resume: Option<String>,
    /// In a join reply after a navigation: the new view's session token, which the page
    /// keeps for its next join (§8.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) session: Option<String>,
    /// With `patch`: replace the history entry instead of pushing one.
    #[serde(skip_serializing_if = "is_false")]
    pub(crate) replace: bool,
    /// The new `document.title`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl ReplyMeta {
    /// A refusal: the frame was not acted on, the view keeps running.
    pub(crate) fn error(reason: impl Into<String>) -> Self {
        ReplyMeta {
            error: Some(reason.into()),
            ..ReplyMeta::default()
        }
    }

    /// The view has stopped.
    pub(crate) fn fatal(reason: impl Into<String>) -> Self {
        ReplyMeta {
            fatal: Some(reason.into()),
            ..ReplyMeta::default()
        }
    }

    /// True when there is nothing to say, so the member is left out.
    pub(crate) fn is_empty(&self) -> bool {
        *self == ReplyMeta::default()
    }
}

/// Writes `[ref, diff, meta]`, leaving out trailing members that carry nothing.
pub(crate) fn reply(reference: u64, diff: Option<&Diff>, meta: &ReplyMeta) -> String {
    let mut out = String::with_capacity(32);
    let _ = write!(out, "[{reference}");
    let diff = diff.filter(|p| !p.is_empty());
    let has_meta = !meta.is_empty();
    if diff.is_some() || has_meta {
        out.push(',');
        match diff {
            Some(diff) => diff.write_json(&mut out),
            None => out.push_str("null"),
        }
    }
    if has_meta {
        out.push(',');
        out.push_str(&serde_json::to_string(meta).expect("reply meta serialises"));
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use maud::html;

    #[test]
    fn client_frames_decode() {
        assert_eq!(
            parse(r#"[1,"join",{"session":"t","url":"http://x/counter"}]"#),
            Ok((
                1,
                ClientFrame::Join {
                    session: "t".into(),
                    url: "http://x/counter".into(),
                    resume: None,
                }
            ))
        );
        assert_eq!(
            parse(r#"[2,"event","increment"]"#),
            Ok((
                2,
                ClientFrame::Event {
                    name: "increment".into(),
                    value: serde_json::json!({})
                }
            ))
        );
        assert_eq!(parse(r#"[3,"hb"]"#), Ok((3, ClientFrame::Heartbeat)));
    }

    #[test]
    fn bad_frames_say_what_is_wrong_and_keep_the_ref_when_known() {
        assert_eq!(parse("{nope").unwrap_err().reference, 0);
        assert!(parse("{}").unwrap_err().reason.contains("JSON array"));
        assert!(parse(r#"[0,"hb"]"#)
            .unwrap_err()
            .reason
            .contains("positive integer"));
        let e = parse(r#"[7,"event",5]"#).unwrap_err();
        assert_eq!((e.reference, e.reason.contains("string name")), (7, true));
        assert!(parse(r#"[7,"dance"]"#)
            .unwrap_err()
            .reason
            .contains("\"dance\""));
        assert!(parse(r#"[7,"event","x",[1]]"#)
            .unwrap_err()
            .reason
            .contains("object"));
    }

    /// The words both sides name once, from `tests/vectors/protocol_words.json`; the JS
    /// client's `test/protocol.test.js` checks its constants against the same file.
    fn protocol_words(group: &str) -> Map<String, Value> {
        let words: Value =
            serde_json::from_str(include_str!("../../tests/vectors/protocol_words.json"))
                .expect("protocol_words.json is JSON");
        words[group].as_object().expect("a group of words").clone()
    }

    fn word(group: &str, name: &str) -> String {
        protocol_words(group)[name]
            .as_str()
            .expect("a word")
            .to_owned()
    }

    #[test]
    fn frame_kinds_are_the_words_the_client_sends() {
        let ours = serde_json::json!({
            "join": frame_kind::JOIN,
            "event": frame_kind::EVENT,
            "nav": frame_kind::NAV,
            "heartbeat": frame_kind::HEARTBEAT,
        });
        assert_eq!(Value::Object(protocol_words("frame_kind")), ours);
    }

    #[test]
    fn reply_meta_keys_are_the_words_the_client_reads() {
        let every_member = ReplyMeta {
            error: Some(String::new()),
            events: vec![(String::new(), Value::Null)],
            fatal: Some(String::new()),
            flash: Some(String::new()),
            navigate: Some(String::new()),
            patch: Some(String::new()),
            redirect: Some(String::new()),
            reload: true,
            replace: true,
            resume: Some(String::new()),
            session: Some(String::new()),
            title: Some(String::new()),
        };
        let Value::Object(written) = serde_json::to_value(&every_member).unwrap() else {
            panic!("meta is an object");
        };
        let ours: std::collections::BTreeSet<&str> = written.keys().map(String::as_str).collect();
        let words = protocol_words("reply_meta");
        let theirs = words.values().filter_map(Value::as_str).collect();
        assert_eq!(ours, theirs);
        for (name, key) in &words {
            assert_eq!(
                Some(name.as_str()),
                key.as_str(),
                "key {name} is its own word"
            );
        }
    }

    #[test]
    fn the_attributes_the_server_writes_are_the_ones_the_client_reads() {
        let container = crate::layout::live_container("TOKEN", String::new()).into_string();
        assert!(container.contains(&format!(" {} ", word("attribute", "main"))));
        assert!(container.contains(&format!(" {}=\"TOKEN\"", word("attribute", "session"))));
        let mut flash = crate::Flash::default();
        flash.put("info", "saved");
        let flash = flash.render().into_string();
        assert!(flash.contains(&format!(" {}=\"", word("attribute", "click"))));
        assert!(flash.contains(&format!(
            " {}kind=\"info\"",
            word("attribute", "value_prefix")
        )));
        let stream_words = [
            ("update", attribute::UPDATE),
            ("stream_at", attribute::STREAM_AT),
            ("stream_delete", attribute::STREAM_DELETE),
            ("stream_reset", attribute::STREAM_RESET),
            ("stream_limit", attribute::STREAM_LIMIT),
        ];
        for (name, ours) in stream_words {
            assert_eq!(word("attribute", name), ours);
        }
        let links = html! {
            (crate::link::patch("/a", "a")) (crate::link::navigate("/b", "b"))
        }
        .into_string();
        let link = word("attribute", "link");
        assert!(links.contains(&format!(" {link}=\"{}\"", attribute::LINK_PATCH)));
        assert!(links.contains(&format!(" {link}=\"{}\"", attribute::LINK_NAVIGATE)));
    }

    #[test]
    fn replies_leave_out_what_is_empty() {
        assert_eq!(reply(3, None, &ReplyMeta::default()), "[3]");
        assert_eq!(
            reply(3, Some(&Diff::default()), &ReplyMeta::error("no")),
            r#"[3,null,{"error":"no"}]"#
        );
    }
}
