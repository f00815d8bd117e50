//! How a message looks on Redis: the channel a topic maps to, and the payload.
//!
//! A topic `T` is the Redis channel `liveview:T`, so the framework's channels do not mix
//! with anything else on the same Redis. The payload is three parts separated by newlines:
//!
//! ```text
//! liveview/1 <node id>
//! <kind: the Rust type name of the message>
//! <the message as JSON>
//! ```
//!
//! The first line names the format (so a later one can be told apart) and the sending node
//! (so a node skips its own messages when Redis echoes them back). Neither a node id nor a
//! type name holds a newline; the JSON, last, may.

use super::super::Message;

/// Every topic's channel starts with this.
pub(super) const CHANNEL_PREFIX: &str = "liveview:";

/// The first word of every payload: the format and its version.
const FORMAT: &str = "liveview/1";

/// The Redis channel that carries `topic`.
pub(super) fn channel(topic: &str) -> String {
    format!("{CHANNEL_PREFIX}{topic}")
}

/// The topic a Redis channel carries, if it is one of ours.
pub(super) fn topic(channel: &str) -> Option<&str> {
    channel.strip_prefix(CHANNEL_PREFIX)
}

/// The payload that carries `message` from `node`.
pub(super) fn encode(node: &str, message: &Message) -> serde_json::Result<String> {
    let json = message.to_json()?;
    Ok(format!("{FORMAT} {node}\n{}\n{json}", message.kind()))
}

/// A payload read back: who sent it, and the message.
#[derive(Debug)]
pub(super) struct Received<'a> {
    pub(super) node: &'a str,
    pub(super) kind: &'a str,
    pub(super) json: &'a str,
}

/// Reads a payload; `None` when it is not one this format wrote (another program
/// publishing on our channels, or a newer format).
pub(super) fn decode(payload: &[u8]) -> Option<Received<'_>> {
    let text = std::str::from_utf8(payload).ok()?;
    let (header, rest) = text.split_once('\n')?;
    let node = header.strip_prefix(FORMAT)?.strip_prefix(' ')?;
    let (kind, json) = rest.split_once('\n')?;
    if node.is_empty() || kind.is_empty() {
        return None;
    }
    Some(Received { node, kind, json })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_reads_back_as_its_node_kind_and_json() {
        let message = Message::new(vec!["a\nb".to_string()]);
        let payload = encode("00ff", &message).unwrap();
        let received = decode(payload.as_bytes()).unwrap();
        assert_eq!(received.node, "00ff");
        assert_eq!(received.kind, message.kind());
        assert_eq!(received.json, r#"["a\nb"]"#);
    }

    #[test]
    fn a_payload_of_another_format_is_refused() {
        for payload in [
            &b""[..],
            b"hello",
            b"liveview/2 00ff\nkind\n{}",
            b"liveview/1 \nkind\n{}",
            b"liveview/1 00ff\n\n{}",
            b"liveview/1 00ff\nkind-without-json",
            b"\xff\xfe",
        ] {
            assert!(decode(payload).is_none(), "{payload:?}");
        }
    }

    #[test]
    fn a_topic_maps_to_a_prefixed_channel_and_back() {
        assert_eq!(channel("chat:lobby"), "liveview:chat:lobby");
        assert_eq!(topic("liveview:chat:lobby"), Some("chat:lobby"));
        assert_eq!(topic("other:chat"), None);
    }
}
