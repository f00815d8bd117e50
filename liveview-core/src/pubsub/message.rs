//! One message on a topic, typed where it was made and JSON where it crossed a process.

use std::any::{type_name, Any};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

type Encode = fn(&(dyn Any + Send + Sync)) -> serde_json::Result<String>;

#[derive(Clone)]
enum Payload {
    /// Made in this process: subscribers get a clone, nothing is encoded.
    Local {
        value: Arc<dyn Any + Send + Sync>,
        encode: Encode,
    },
    /// Received from another node: subscribers decode it.
    Encoded(Arc<str>),
}

/// A message, cheap to clone: its kind (the Rust type's name, the same on every node
/// running the same build) and its value.
#[derive(Clone)]
pub struct Message {
    kind: Arc<str>,
    payload: Payload,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// The kind a message of type `M` carries.
pub(crate) fn kind_of<M: 'static>() -> &'static str {
    type_name::<M>()
}

impl Message {
    /// Wraps a value.
    pub fn new<M>(value: M) -> Self
    where
        M: Serialize + Send + Sync + 'static,
    {
        fn encode<M: Serialize + 'static>(
            value: &(dyn Any + Send + Sync),
        ) -> serde_json::Result<String> {
            let value = value
                .downcast_ref::<M>()
                .expect("a message encodes its own type");
            serde_json::to_string(value)
        }
        Message {
            kind: kind_of::<M>().into(),
            payload: Payload::Local {
                value: Arc::new(value),
                encode: encode::<M>,
            },
        }
    }

    /// A message that arrived encoded (from another node).
    pub fn from_json(kind: impl Into<Arc<str>>, json: impl Into<Arc<str>>) -> Self {
        Message {
            kind: kind.into(),
            payload: Payload::Encoded(json.into()),
        }
    }

    /// The message's kind.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The value as an `M`, when the message is one.
    pub fn get<M>(&self) -> Option<M>
    where
        M: DeserializeOwned + Clone + 'static,
    {
        if *self.kind != *kind_of::<M>() {
            return None;
        }
        match &self.payload {
            Payload::Local { value, .. } => value.downcast_ref::<M>().cloned(),
            Payload::Encoded(json) => match serde_json::from_str(json) {
                Ok(value) => Some(value),
                Err(error) => {
                    tracing::warn!(kind = %self.kind, %error, "undecodable pubsub message");
                    None
                }
            },
        }
    }

    /// The value shared, when the message is an `M`: what a subscriber gets, so a message
    /// fanned out to 10,000 views is one value, not 10,000 copies.
    pub fn get_shared<M>(&self) -> Option<Arc<M>>
    where
        M: DeserializeOwned + Send + Sync + 'static,
    {
        if *self.kind != *kind_of::<M>() {
            return None;
        }
        match &self.payload {
            Payload::Local { value, .. } => value.clone().downcast::<M>().ok(),
            Payload::Encoded(json) => match serde_json::from_str(json) {
                Ok(value) => Some(Arc::new(value)),
                Err(error) => {
                    tracing::warn!(kind = %self.kind, %error, "undecodable pubsub message");
                    None
                }
            },
        }
    }

    /// The value as JSON, to send to another node.
    pub fn to_json(&self) -> serde_json::Result<String> {
        match &self.payload {
            Payload::Local { value, encode } => encode(value.as_ref()),
            Payload::Encoded(json) => Ok(json.to_string()),
        }
    }
}
