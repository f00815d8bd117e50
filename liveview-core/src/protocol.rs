//! The frames of protocol §2 and §3: parsing what the client sends, writing what it gets.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::render::Diff;

/// A client frame, decoded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ClientFrame {
    Join { session: String, url: String },
    Event { name: String, value: Value },
    Nav { url: String },
    Heartbeat,
}

/// A frame that could not be decoded: the ref when one was readable, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrameError {
    pub reference: u64,
    pub reason: String,
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
        "join" => {
            let mut options = take(2);
            let mut field = |name: &str| match options.get_mut(name).map(Value::take) {
                Some(Value::String(s)) => Ok(s),
                _ => Err(fail(reference, &format!("join needs a string {name:?}"))),
            };
            ClientFrame::Join {
                session: field("session")?,
                url: field("url")?,
            }
        }
        "event" => {
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
        "nav" => match take(2) {
            Value::String(url) => ClientFrame::Nav { url },
            _ => return Err(fail(reference, "nav needs a string url")),
        },
        "hb" => ClientFrame::Heartbeat,
        other => return Err(fail(reference, &format!("unknown frame kind {other:?}"))),
    };
    Ok((reference, frame))
}

/// Writes `[ref, diff, meta]`, leaving out trailing members that carry nothing.
pub(crate) fn reply(reference: u64, diff: Option<&Diff>, meta: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(32);
    let _ = write!(out, "[{reference}");
    let diff = diff.filter(|p| !p.is_empty());
    if diff.is_some() || !meta.is_empty() {
        out.push(',');
        match diff {
            Some(diff) => diff.write_json(&mut out),
            None => out.push_str("null"),
        }
    }
    if !meta.is_empty() {
        out.push(',');
        out.push_str(&serde_json::to_string(meta).expect("JSON values serialise"));
    }
    out.push(']');
    out
}

/// A meta object with one string member.
pub(crate) fn meta(key: &str, value: impl Into<String>) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert(key.to_owned(), Value::String(value.into()));
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_decode() {
        assert_eq!(
            parse(r#"[1,"join",{"session":"t","url":"http://x/counter"}]"#),
            Ok((
                1,
                ClientFrame::Join {
                    session: "t".into(),
                    url: "http://x/counter".into()
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

    #[test]
    fn replies_leave_out_what_is_empty() {
        assert_eq!(reply(3, None, &Map::new()), "[3]");
        assert_eq!(
            reply(3, Some(&Diff::default()), &meta("error", "no")),
            r#"[3,null,{"error":"no"}]"#
        );
    }
}
