//! Signed session tokens (protocol §6): what the dead render hands the socket.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::Flash;

/// Data carried from the page request to the connected view, signed so the client cannot
/// change it: typically a user id or a CSRF value taken from a cookie.
///
/// ```
/// use liveview_core::Session;
///
/// let mut session = Session::default();
/// session.insert("user_id", 42);
/// assert_eq!(session.get("user_id").and_then(|v| v.as_i64()), Some(42));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Session(Map<String, Value>);

impl Session {
    /// The value stored under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// Stores a value; it must serialise to JSON.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Serialize) {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.0.insert(key.into(), value);
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// Not `payload.signature`, or the payload is not what we sign.
    Malformed,
    /// The signature does not verify with this server's key.
    BadSignature,
    /// Older than the configured maximum age.
    Expired,
    /// Signed for another view.
    WrongView,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenError::Malformed => "invalid session token: malformed",
            TokenError::BadSignature => "invalid session token: signature does not verify",
            TokenError::Expired => "invalid session token: expired",
            TokenError::WrongView => "invalid session token: issued for another view",
        })
    }
}

impl std::error::Error for TokenError {}

#[derive(Serialize, Deserialize)]
struct Payload {
    v: String,
    iat: u64,
    s: Session,
    /// Flash messages for the page's view (after a redirect); absent when there are none,
    /// so tokens without a flash stay as they were.
    #[serde(default, skip_serializing_if = "Flash::is_empty")]
    f: Flash,
}

/// Signs and verifies session tokens with HMAC-SHA256.
#[derive(Clone)]
pub(crate) struct Signer {
    key: Vec<u8>,
    max_age: Duration,
}

impl Signer {
    pub(crate) fn new(key: Vec<u8>, max_age: Duration) -> Self {
        Signer { key, max_age }
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length")
    }

    pub(crate) fn sign(&self, view: &str, session: &Session, flash: &Flash) -> String {
        let payload = Payload {
            v: view.to_owned(),
            iat: now(),
            s: session.clone(),
            f: flash.clone(),
        };
        let payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).expect("sessions serialise"));
        self.signed(&payload)
    }

    /// `payload.signature` for an already encoded payload. The fuzzer signs payloads it
    /// made up with this, so that its inputs get past the signature to the decoding.
    pub(crate) fn signed(&self, payload: &str) -> String {
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{payload}.{signature}")
    }

    /// The session and flash a token carries, if it is genuine, fresh and for `view`.
    pub(crate) fn verify(&self, token: &str, view: &str) -> Result<(Session, Flash), TokenError> {
        let (payload, signature) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let payload: Payload = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(TokenError::Malformed)?;
        if now().saturating_sub(payload.iat) > self.max_age.as_secs() {
            return Err(TokenError::Expired);
        }
        if payload.v != view {
            return Err(TokenError::WrongView);
        }
        Ok((payload.s, payload.f))
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(key: &[u8]) -> Signer {
        Signer::new(key.to_vec(), Duration::from_secs(60))
    }

    #[test]
    fn a_signed_session_verifies_and_round_trips() {
        let mut session = Session::default();
        session.insert("name", "ada");
        let token = signer(b"k").sign("Counter", &session, &Flash::default());
        assert_eq!(
            signer(b"k").verify(&token, "Counter"),
            Ok((session, Flash::default()))
        );
    }

    #[test]
    fn forged_reused_and_expired_tokens_are_refused() {
        let token = signer(b"k").sign("Counter", &Session::default(), &Flash::default());
        assert_eq!(
            signer(b"other").verify(&token, "Counter"),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            signer(b"k").verify(&token, "Users"),
            Err(TokenError::WrongView)
        );
        assert_eq!(
            signer(b"k").verify("garbage", "Counter"),
            Err(TokenError::Malformed)
        );
        let (payload, sig) = token.split_once('.').unwrap();
        let tampered = format!("{}x.{sig}", payload);
        assert_eq!(
            signer(b"k").verify(&tampered, "Counter"),
            Err(TokenError::BadSignature)
        );
        let expired = Signer::new(b"k".to_vec(), Duration::ZERO);
        let old = Payload {
            v: "Counter".into(),
            iat: now() - 10,
            s: Session::default(),
            f: Flash::default(),
        };
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&old).unwrap());
        let forged_old = expired.signed(&payload);
        assert_eq!(
            expired.verify(&forged_old, "Counter"),
            Err(TokenError::Expired)
        );
    }
}
