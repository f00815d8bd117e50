//! Resume after a short disconnect: a view whose socket drops without a close keeps its
//! process for a grace period, and the client's rejoin takes that process over instead of
//! mounting a new view. The state survives (a counter at 5 stays at 5); only one render
//! travels.
//!
//! Who may take a view over: the client whose join reply carried the view's resume token.
//! The token is `ID.SECRET`, 128 random bits that only ever went to that client, over its
//! socket; it is used once (a claim wipes it, the next join reply carries a new one), and
//! the rejoin must also present the same signed session token for the same view type.
//! Only hashes are kept, so a memory dump does not hand out live tokens either.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::ws::WebSocket;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use dashmap::DashMap;
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

/// A rejoin that claimed a process: the new socket and the join frame's ref and URL.
pub(crate) struct Takeover {
    pub(crate) socket: WebSocket,
    pub(crate) reference: u64,
    pub(crate) url: String,
}

type Digest32 = [u8; 32];

struct Entry {
    /// The view type's name: a token never moves a client to another view.
    view: &'static str,
    /// Hash of the page's signed session token.
    session: Digest32,
    /// Hash of the current secret; `None` between a claim and the next join reply.
    secret: Option<Digest32>,
    takeover: mpsc::Sender<Takeover>,
}

/// Every resumable process of an endpoint, connected or parked, by id.
#[derive(Default)]
pub(crate) struct Resumable {
    entries: DashMap<u64, Entry>,
    next_id: AtomicU64,
    parked: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Resumable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resumable")
            .field("processes", &self.entries.len())
            .field("parked", &self.parked.load(Ordering::Relaxed))
            .finish()
    }
}

impl Resumable {
    /// Enters a newly mounted process; it hears of rejoins that claim it on the receiver.
    pub(crate) fn register(
        self: &Arc<Self>,
        view: &'static str,
        session_token: &str,
    ) -> (Ticket, mpsc::Receiver<Takeover>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        // One at a time: a second rejoin racing the first gets a fresh mount.
        let (sender, receiver) = mpsc::channel(1);
        self.entries.insert(
            id,
            Entry {
                view,
                session: hash(session_token),
                secret: None,
                takeover: sender,
            },
        );
        let ticket = Ticket {
            id,
            registry: self.clone(),
        };
        (ticket, receiver)
    }

    /// The process a rejoin's resume token names, if the token, the view type and the
    /// session all match. The token cannot be used again.
    pub(crate) fn claim(
        &self,
        token: &str,
        view: &'static str,
        session_token: &str,
    ) -> Option<mpsc::Sender<Takeover>> {
        let (id, secret) = token.split_once('.')?;
        let id: u64 = id.parse().ok()?;
        let mut entry = self.entries.get_mut(&id)?;
        let matches = entry.view == view
            && entry.session == hash(session_token)
            && entry.secret == Some(hash(secret));
        if !matches {
            return None;
        }
        entry.secret = None;
        Some(entry.takeover.clone())
    }

    /// A place among the parked processes, if fewer than `max` are parked.
    pub(crate) fn park(&self, max: usize) -> Option<Parked> {
        self.parked
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()?;
        Some(Parked {
            count: self.parked.clone(),
        })
    }

    /// How many processes are parked now.
    #[cfg(test)]
    pub(crate) fn parked(&self) -> usize {
        self.parked.load(Ordering::Relaxed)
    }
}

/// A process's entry in the registry; dropping it (the process ended) removes the entry.
pub(crate) struct Ticket {
    id: u64,
    registry: Arc<Resumable>,
}

impl Ticket {
    /// A new resume token for the client, replacing the previous one.
    pub(crate) fn new_token(&self) -> Option<String> {
        let mut secret = [0u8; 16];
        rand::rng().fill_bytes(&mut secret);
        let secret = URL_SAFE_NO_PAD.encode(secret);
        let mut entry = self.registry.entries.get_mut(&self.id)?;
        entry.secret = Some(hash(&secret));
        Some(format!("{}.{secret}", self.id))
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.registry.entries.remove(&self.id);
    }
}

/// A parked process's place; dropping it (resumed, expired, ended) frees the place.
pub(crate) struct Parked {
    count: Arc<AtomicUsize>,
}

impl Drop for Parked {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
    }
}

fn hash(text: &str) -> Digest32 {
    Sha256::digest(text.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIEW: &str = "demo::Counter";

    #[test]
    fn a_token_claims_its_process_once() {
        let registry = Arc::new(Resumable::default());
        let (ticket, _receiver) = registry.register(VIEW, "session");
        let token = ticket.new_token().unwrap();
        assert!(registry.claim(&token, VIEW, "session").is_some());
        assert!(registry.claim(&token, VIEW, "session").is_none());
        let next = ticket.new_token().unwrap();
        assert_ne!(next, token);
        assert!(registry.claim(&next, VIEW, "session").is_some());
    }

    #[test]
    fn a_token_needs_the_same_view_and_session_and_the_right_secret() {
        let registry = Arc::new(Resumable::default());
        let (ticket, _receiver) = registry.register(VIEW, "session");
        let token = ticket.new_token().unwrap();
        let (id, _) = token.split_once('.').unwrap();
        assert!(registry.claim(&token, "demo::Chat", "session").is_none());
        assert!(registry.claim(&token, VIEW, "another session").is_none());
        assert!(registry
            .claim(&format!("{id}.guess"), VIEW, "session")
            .is_none());
        assert!(registry.claim("not a token", VIEW, "session").is_none());
        // None of the failures used the token up.
        assert!(registry.claim(&token, VIEW, "session").is_some());
    }

    #[test]
    fn an_ended_process_cannot_be_claimed() {
        let registry = Arc::new(Resumable::default());
        let (ticket, _receiver) = registry.register(VIEW, "session");
        let token = ticket.new_token().unwrap();
        drop(ticket);
        assert!(registry.claim(&token, VIEW, "session").is_none());
    }

    #[test]
    fn parking_stops_at_the_limit_and_frees_places_on_drop() {
        let registry = Resumable::default();
        let first = registry.park(2).unwrap();
        let _second = registry.park(2).unwrap();
        assert!(registry.park(2).is_none());
        drop(first);
        assert_eq!(registry.parked(), 1);
        assert!(registry.park(2).is_some());
    }
}
