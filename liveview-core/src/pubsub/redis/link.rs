//! The background task that owns the connections to Redis.
//!
//! It runs for the life of the backend:
//!
//! 1. Connect: one multiplexed connection to publish on, one pubsub connection to listen
//!    on, and subscribe to the channel of every topic that has subscribers on this node.
//! 2. Report `connected` and count the connection, so presence resyncs.
//! 3. Serve until either connection fails: publish queued messages in pipelined batches,
//!    deliver incoming ones to this node's subscribers (skipping its own echoes),
//!    subscribe or unsubscribe channels as topics gain their first or lose their last
//!    subscriber, and ping the pubsub connection so a silent Redis is noticed.
//! 4. Report `reconnecting`, wait a backoff that doubles per failed attempt (with jitter),
//!    counting whatever is queued meanwhile as lost, and go back to 1.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use redis::aio::{MultiplexedConnection, PubSubSink, PubSubStream};
use redis::{AsyncConnectionConfig, Client, RedisError};
use tokio::sync::{mpsc, oneshot};

use super::{wire, LinkState, Outgoing, Shared};
use crate::pubsub::{Message, PubSub as _};

/// How long connecting, or any one command, may take before the connection counts as lost.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(3);

/// How often the pubsub connection is pinged: a Redis that stopped answering without
/// closing the connection is noticed within this plus [`COMMAND_TIMEOUT`].
const KEEPALIVE: Duration = Duration::from_secs(5);

/// The first wait before reconnecting, and the longest.
const BACKOFF_FIRST: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// The most messages sent in one pipeline.
const BATCH: usize = 256;

/// Why a connection ended.
type Lost = String;

/// Runs the link until the backend is dropped (which aborts this task).
pub(super) async fn run(shared: Arc<Shared>, client: Client, mut queue: mpsc::Receiver<Outgoing>) {
    let mut failures: u32 = 0;
    loop {
        match Connection::open(&client, &shared).await {
            Ok(mut connection) => {
                if failures > 0 || shared.state() == LinkState::Reconnecting {
                    tracing::info!(node = %shared.node, "pubsub: connected to Redis again");
                } else {
                    tracing::info!(node = %shared.node, "pubsub: connected to Redis");
                }
                failures = 0;
                shared.set_state(LinkState::Connected);
                shared.connections.send_modify(|n| *n += 1);
                let why = connection.serve(&shared, &mut queue).await;
                shared.set_state(LinkState::Reconnecting);
                tracing::warn!(
                    "pubsub: lost the connection to Redis ({why}); this node keeps serving \
                     its own views and reconnects"
                );
            }
            Err(why) => {
                if failures == 0 {
                    tracing::warn!(
                        "pubsub: cannot connect to Redis ({why}); retrying with backoff"
                    );
                } else {
                    tracing::debug!("pubsub: still cannot connect to Redis ({why})");
                }
                if shared.state() == LinkState::Connected {
                    shared.set_state(LinkState::Reconnecting);
                }
            }
        }
        failures = failures.saturating_add(1);
        wait_dropping(backoff(failures), &shared, &mut queue).await;
    }
}

/// The wait before attempt `failures + 1`: doubling from [`BACKOFF_FIRST`] up to
/// [`BACKOFF_MAX`], each a random 50–100 % of that so nodes do not reconnect in step.
fn backoff(failures: u32) -> Duration {
    let doubled = BACKOFF_FIRST.saturating_mul(1 << failures.saturating_sub(1).min(16));
    doubled
        .min(BACKOFF_MAX)
        .mul_f64(rand::random_range(0.5..=1.0))
}

/// Waits `delay` while disconnected, counting queued messages as lost and answering
/// flushes (there is nothing to wait for).
async fn wait_dropping(delay: Duration, shared: &Shared, queue: &mut mpsc::Receiver<Outgoing>) {
    let deadline = tokio::time::sleep(delay);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            () = &mut deadline => return,
            item = queue.recv() => match item {
                Some(Outgoing::Publish { .. }) => shared.lost(1, "Redis is unreachable"),
                Some(Outgoing::Flush(done)) => {
                    let _ = done.send(());
                }
                None => return,
            },
        }
    }
}

/// One connected session with Redis.
struct Connection {
    publisher: MultiplexedConnection,
    sink: PubSubSink,
    stream: PubSubStream,
    /// The topics whose channels this connection is subscribed to.
    subscribed: HashSet<String>,
}

impl Connection {
    /// Connects both connections and subscribes to every topic with subscribers here.
    async fn open(client: &Client, shared: &Shared) -> Result<Self, Lost> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT));
        let publisher = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| e.to_string())?;
        let pubsub = timed(client.get_async_pubsub()).await?;
        let (sink, stream) = pubsub.split();
        let mut connection = Connection {
            publisher,
            sink,
            stream,
            subscribed: HashSet::new(),
        };
        // Noted changes are covered by listing every topic now; any change after this
        // line is noted again and handled while serving.
        drop(shared.take_changed_topics());
        connection.reconcile(shared, shared.local.topics()).await?;
        // Topics that got subscribers while the line above waited are subscribed before
        // the connection is announced, so presence's resync finds its topic listened to.
        let noted = shared.take_changed_topics();
        connection.reconcile(shared, noted).await?;
        Ok(connection)
    }

    /// Serves until the connection is lost; says why.
    async fn serve(&mut self, shared: &Shared, queue: &mut mpsc::Receiver<Outgoing>) -> Lost {
        let mut keepalive = tokio::time::interval(KEEPALIVE);
        keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let changed = shared.take_changed_topics();
            if !changed.is_empty() {
                if let Err(why) = self.reconcile(shared, changed).await {
                    return why;
                }
            }
            let result = tokio::select! {
                message = self.stream.next() => match message {
                    Some(message) => {
                        self.receive(shared, &message);
                        Ok(())
                    }
                    None => Err("the connection closed".to_owned()),
                },
                item = queue.recv() => match item {
                    Some(first) => self.send_batch(shared, first, queue).await,
                    None => Err("the backend was dropped".to_owned()),
                },
                () = shared.topics_changed.notified() => Ok(()),
                _ = keepalive.tick() => timed(self.sink.ping::<redis::Value>()).await.map(drop),
            };
            if let Err(why) = result {
                return why;
            }
        }
    }

    /// Subscribes to the channels of `topics` that have subscribers here and are not
    /// subscribed yet, and unsubscribes from those that have none left. Deciding from
    /// the registry now, not from the order events were noted, keeps it right however
    /// subscribes and unsubscribes on other threads interleave.
    async fn reconcile(
        &mut self,
        shared: &Shared,
        topics: impl IntoIterator<Item = String>,
    ) -> Result<(), Lost> {
        let (mut join, mut leave) = (Vec::new(), Vec::new());
        for topic in topics {
            let wanted = shared.local.subscriber_count(&topic) > 0;
            if wanted && !self.subscribed.contains(&topic) {
                join.push(topic);
            } else if !wanted && self.subscribed.contains(&topic) {
                leave.push(topic);
            }
        }
        if !join.is_empty() {
            let channels: Vec<String> = join.iter().map(|t| wire::channel(t)).collect();
            timed(self.sink.subscribe(channels)).await?;
            self.subscribed.extend(join);
        }
        if !leave.is_empty() {
            let channels: Vec<String> = leave.iter().map(|t| wire::channel(t)).collect();
            timed(self.sink.unsubscribe(channels)).await?;
            for topic in &leave {
                self.subscribed.remove(topic);
            }
        }
        Ok(())
    }

    /// Delivers a message from Redis to this node's subscribers, unless this node sent it.
    fn receive(&self, shared: &Shared, message: &redis::Msg) {
        let Some(topic) = wire::topic(message.get_channel_name()) else {
            return;
        };
        let Some(received) = wire::decode(message.get_payload_bytes()) else {
            shared.lost(
                1,
                "a message on a liveview channel is not in the liveview format",
            );
            return;
        };
        if received.node == shared.node {
            return;
        }
        let message = Message::from_json(received.kind, received.json);
        if shared.local.deliver_local(topic, &message, None) {
            shared.topic_changed(topic);
        }
    }

    /// Publishes `first` and whatever else is already queued (up to [`BATCH`]) in one
    /// pipeline: one round trip for a burst instead of one per message.
    async fn send_batch(
        &mut self,
        shared: &Shared,
        first: Outgoing,
        queue: &mut mpsc::Receiver<Outgoing>,
    ) -> Result<(), Lost> {
        let mut pipe = redis::pipe();
        let mut count: u64 = 0;
        let mut flushed: Vec<oneshot::Sender<()>> = Vec::new();
        let mut next = Some(first);
        while let Some(item) = next.take() {
            match item {
                Outgoing::Publish { topic, message } => {
                    match wire::encode(&shared.node, &message) {
                        Ok(payload) => {
                            pipe.cmd("PUBLISH")
                                .arg(wire::channel(&topic))
                                .arg(payload)
                                .ignore();
                            count += 1;
                        }
                        Err(error) => {
                            tracing::warn!(kind = %message.kind(), %error, "pubsub: a message does not encode as JSON");
                            shared.lost(1, "a message does not encode as JSON");
                        }
                    }
                }
                Outgoing::Flush(done) => flushed.push(done),
            }
            if count < BATCH as u64 {
                next = queue.try_recv().ok();
            }
        }
        if count > 0 {
            let sent: Result<(), RedisError> = pipe.query_async(&mut self.publisher).await;
            if let Err(error) = sent {
                shared.lost(count, "publishing on Redis failed");
                return Err(error.to_string());
            }
        }
        for done in flushed {
            let _ = done.send(());
        }
        Ok(())
    }
}

/// `command` with [`COMMAND_TIMEOUT`]: an error or no answer in time is a lost connection.
async fn timed<T>(
    command: impl std::future::Future<Output = Result<T, RedisError>>,
) -> Result<T, Lost> {
    match tokio::time::timeout(COMMAND_TIMEOUT, command).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {} s", COMMAND_TIMEOUT.as_secs())),
    }
}
