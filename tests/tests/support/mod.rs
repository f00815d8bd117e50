//! What the raw-socket test files share: a client websocket and reading its next frame.

use std::time::Duration;

use futures_util::StreamExt as _;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A client websocket.
pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The next frame as JSON, or `{"closed": [code, reason]}` for a close frame; fails after
/// 5 s without one.
pub(crate) async fn next(ws: &mut Ws) -> Value {
    match tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("a reply in time")
    {
        Some(Ok(Message::Text(text))) => serde_json::from_str(text.as_str()).unwrap(),
        Some(Ok(Message::Close(frame))) => {
            json!({"closed": frame.map(|f| (u16::from(f.code), f.reason.to_string()))})
        }
        other => panic!("unexpected {other:?}"),
    }
}
