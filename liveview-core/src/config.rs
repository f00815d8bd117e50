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
    /// How long one write to a client may take; a client that stops reading is dropped
    /// after this, so it costs bounded memory and time.
    pub write_timeout: Duration,
    /// How long a new socket may take to send its join frame.
    pub join_timeout: Duration,
    /// Origins allowed to open sockets besides the page's own host.
    pub allowed_origins: Vec<String>,
    /// Messages a view's mailbox holds before senders wait.
    pub mailbox_capacity: usize,
    /// How long a view whose socket dropped without a close waits for its client to come
    /// back and resume it (same state, no mount). Zero turns resuming off.
    pub resume_grace: Duration,
    /// How long a flash message shows before it goes by itself (a click clears it sooner).
    /// Zero keeps messages until clicked.
    pub flash_timeout: Duration,
    /// The most views waiting to be resumed at once; past it, a view whose socket drops
    /// ends at once. With `mailbox_capacity`, this bounds what absent clients cost.
    pub max_parked_views: usize,
    /// Which pubsub backend [`crate::Live::new`] starts: this process only, or every node
    /// on one Redis.
    pub pubsub: PubSubConfig,
    /// With a pubsub across nodes: a node not heard from for this long (killed, cut off)
    /// drops out of every presence list. Nodes heartbeat every third of it.
    pub presence_timeout: Duration,
}

/// The pubsub backend to use.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum PubSubConfig {
    /// Within this process ([`LocalPubSub`](crate::pubsub::LocalPubSub)): one node.
    #[default]
    Local,
    /// Through the Redis at this URL ([`RedisPubSub`](crate::pubsub::RedisPubSub)), shared
    /// with every node using the same one. Needs liveview-core's `redis` feature.
    #[cfg(feature = "redis")]
    Redis(String),
}

impl std::fmt::Debug for PubSubConfig {
    /// Shows a Redis URL without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PubSubConfig::Local => f.write_str("Local"),
            #[cfg(feature = "redis")]
            PubSubConfig::Redis(url) => {
                let shown = match (url.split_once("://"), url.rfind('@')) {
                    (Some((scheme, _)), Some(at)) => format!("{scheme}://***{}", &url[at..]),
                    _ => url.clone(),
                };
                f.debug_tuple("Redis").field(&shown).finish()
            }
        }
    }
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
            write_timeout: Duration::from_secs(10),
            allowed_origins: Vec::new(),
            mailbox_capacity: 1024,
            resume_grace: Duration::from_secs(30),
            max_parked_views: 10_000,
            flash_timeout: Duration::from_secs(5),
            pubsub: PubSubConfig::Local,
            presence_timeout: Duration::from_secs(15),
        }
    }
}

impl LiveConfig {
    /// The defaults, overridden by the environment: `LIVEVIEW_SECRET` (at least 32 bytes)
    /// as the signing key, `LIVEVIEW_ALLOWED_ORIGINS` (comma-separated) as extra origins,
    /// `LIVEVIEW_EVENTS_PER_SECOND` as both the event rate and burst,
    /// `LIVEVIEW_RESUME_GRACE_SECS` as the resume grace period (0 turns resuming off),
    /// `LIVEVIEW_PUBSUB=redis://HOST:PORT` for the Redis pubsub (`local`, or unset, for the
    /// in-process one), `LIVEVIEW_PRESENCE_TIMEOUT_MS` as the presence timeout.
    ///
    /// A setting that is present but wrong is an error, not a silent fallback: a server
    /// whose `LIVEVIEW_SECRET` is too short would otherwise sign with a random key, and its
    /// pages would stop joining on every other node and after every restart.
    ///
    /// ```
    /// # fn main() -> Result<(), liveview_core::ConfigError> {
    /// let config = liveview_core::LiveConfig::from_env()?;
    /// # let _ = config;
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut config = LiveConfig::default();
        if let Ok(secret) = std::env::var("LIVEVIEW_SECRET") {
            if secret.len() < MIN_SECRET_BYTES {
                return Err(ConfigError(format!(
                    "LIVEVIEW_SECRET is {} bytes; it must be at least {MIN_SECRET_BYTES} \
                     (for example: openssl rand -hex 32)",
                    secret.len()
                )));
            }
            config.secret_key = Some(secret.into_bytes());
        }
        if let Ok(rate) = std::env::var("LIVEVIEW_EVENTS_PER_SECOND") {
            let rate: u32 = rate.parse().map_err(|_| {
                ConfigError(format!(
                    "LIVEVIEW_EVENTS_PER_SECOND must be a whole number, not {rate:?}"
                ))
            })?;
            config.events_per_second = rate;
            config.event_burst = rate;
        }
        if let Ok(grace) = std::env::var("LIVEVIEW_RESUME_GRACE_SECS") {
            let seconds: u64 = grace.parse().map_err(|_| {
                ConfigError(format!(
                    "LIVEVIEW_RESUME_GRACE_SECS must be a whole number of seconds, not {grace:?}"
                ))
            })?;
            config.resume_grace = Duration::from_secs(seconds);
        }
        if let Ok(origins) = std::env::var("LIVEVIEW_ALLOWED_ORIGINS") {
            config.allowed_origins = origins
                .split(',')
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect();
        }
        if let Ok(pubsub) = std::env::var("LIVEVIEW_PUBSUB") {
            config.pubsub = pubsub_from(&pubsub)?;
        }
        if let Ok(timeout) = std::env::var("LIVEVIEW_PRESENCE_TIMEOUT_MS") {
            let ms: u64 = timeout.parse().ok().filter(|&ms| ms > 0).ok_or_else(|| {
                ConfigError(format!(
                    "LIVEVIEW_PRESENCE_TIMEOUT_MS must be a whole number of milliseconds \
                         above 0, not {timeout:?}"
                ))
            })?;
            config.presence_timeout = Duration::from_millis(ms);
        }
        Ok(config)
    }
}

/// Reads `LIVEVIEW_PUBSUB`.
fn pubsub_from(value: &str) -> Result<PubSubConfig, ConfigError> {
    if value.is_empty() || value == "local" {
        return Ok(PubSubConfig::Local);
    }
    #[cfg(feature = "redis")]
    {
        crate::pubsub::RedisPubSub::check_url(value)
            .map_err(|error| ConfigError(format!("LIVEVIEW_PUBSUB: {error}")))?;
        Ok(PubSubConfig::Redis(value.to_owned()))
    }
    #[cfg(not(feature = "redis"))]
    Err(ConfigError(
        "LIVEVIEW_PUBSUB is set, but this build has no Redis support \
         (liveview-core's `redis` feature); unset it for the in-process pubsub"
            .into(),
    ))
}

/// The shortest signing key accepted: 256 bits, HMAC-SHA256's own strength.
const MIN_SECRET_BYTES: usize = 32;

/// A setting in the environment is present but unusable; the message says which and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unset_or_local_pubsub_is_the_in_process_one() {
        assert_eq!(pubsub_from("").unwrap(), PubSubConfig::Local);
        assert_eq!(pubsub_from("local").unwrap(), PubSubConfig::Local);
    }

    #[cfg(feature = "redis")]
    #[test]
    fn a_redis_url_chooses_redis_and_a_bad_one_is_a_clear_error() {
        assert_eq!(
            pubsub_from("redis://127.0.0.1:6379").unwrap(),
            PubSubConfig::Redis("redis://127.0.0.1:6379".into())
        );
        let error = pubsub_from("127.0.0.1:6379").unwrap_err().to_string();
        assert!(
            error.starts_with("LIVEVIEW_PUBSUB: not a usable Redis URL"),
            "{error}"
        );
    }

    #[cfg(feature = "redis")]
    #[test]
    fn a_redis_url_is_shown_without_its_password() {
        let config = PubSubConfig::Redis("redis://node:s3cret@10.0.0.5:6379/2".into());
        assert_eq!(
            format!("{config:?}"),
            r#"Redis("redis://***@10.0.0.5:6379/2")"#
        );
    }

    #[cfg(not(feature = "redis"))]
    #[test]
    fn a_redis_url_without_the_redis_feature_is_a_clear_error() {
        let error = pubsub_from("redis://127.0.0.1:6379")
            .unwrap_err()
            .to_string();
        assert!(error.contains("`redis` feature"), "{error}");
    }
}
