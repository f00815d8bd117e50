//! Framework settings, with production-safe defaults and environment overrides.

use std::time::Duration;

/// Settings for every live view served by one [`crate::Live`].
///
/// ```
/// use liveview_core::LiveConfig;
///
/// let config = LiveConfig {
///     secret_key: Some(b"a key of at least thirty-two bytes!!".to_vec()),
///     ..LiveConfig::default()
/// };
/// assert_eq!(config.max_frame_bytes, 64 * 1024);
/// ```
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Key that signs session tokens. `None` picks a random key per process (fine in
    /// development, logged as a warning): tokens then stop verifying when the server
    /// restarts, and clients reload the page to get new ones.
    pub secret_key: Option<Vec<u8>>,
    /// How long a page's session token may be used to join.
    pub token_max_age: Duration,
    /// Largest client frame accepted; bigger ones close the socket with code 1009.
    pub max_frame_bytes: usize,
    /// Sustained events per second allowed per connection.
    pub events_per_second: u32,
    /// Events a connection may send in a burst above the sustained rate.
    pub event_burst: u32,
    /// A socket with no frame for this long is closed (clients heartbeat every 30 s).
    pub idle_timeout: Duration,
    /// How long a new socket may take to send its join frame.
    pub join_timeout: Duration,
    /// Origins allowed to open sockets besides the page's own host.
    pub allowed_origins: Vec<String>,
    /// Messages a view's mailbox holds before senders wait.
    pub mailbox_capacity: usize,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            secret_key: None,
            token_max_age: Duration::from_secs(14 * 24 * 3600),
            max_frame_bytes: 64 * 1024,
            events_per_second: 1000,
            event_burst: 1000,
            idle_timeout: Duration::from_secs(60),
            join_timeout: Duration::from_secs(10),
            allowed_origins: Vec::new(),
            mailbox_capacity: 1024,
        }
    }
}

impl LiveConfig {
    /// The defaults, overridden by the environment: `LIVEVIEW_SECRET` (at least 32 bytes)
    /// as the signing key, `LIVEVIEW_ALLOWED_ORIGINS` (comma-separated) as extra origins,
    /// `LIVEVIEW_EVENTS_PER_SECOND` as both the event rate and burst.
    pub fn from_env() -> Self {
        let mut config = LiveConfig::default();
        if let Ok(secret) = std::env::var("LIVEVIEW_SECRET") {
            if secret.len() >= 32 {
                config.secret_key = Some(secret.into_bytes());
            } else {
                tracing::error!("LIVEVIEW_SECRET is shorter than 32 bytes; using a random key");
            }
        }
        if let Some(rate) = std::env::var("LIVEVIEW_EVENTS_PER_SECOND")
            .ok()
            .and_then(|r| r.parse().ok())
        {
            config.events_per_second = rate;
            config.event_burst = rate;
        }
        if let Ok(origins) = std::env::var("LIVEVIEW_ALLOWED_ORIGINS") {
            config.allowed_origins = origins
                .split(',')
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect();
        }
        config
    }
}
