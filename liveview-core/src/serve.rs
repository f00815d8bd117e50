//! Serving an app on the open internet: `axum::serve` with the limits a public server needs.
//!
//! `axum::serve` waits forever for a request's headers and accepts any number of
//! connections, so a client that opens a thousand connections and sends half a request on
//! each (slowloris) holds a thousand file descriptors until the process runs out, and keeps
//! a stopping server alive. [`serve`] gives every connection a deadline for its request
//! headers, caps the connections being read at once, and on shutdown stops accepting, lets
//! requests in flight finish for a bounded time, then returns.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

/// The limits [`serve`] applies; the defaults suit a public server.
///
/// ```
/// use std::time::Duration;
/// use liveview_core::ServeLimits;
///
/// let limits = ServeLimits {
///     header_read_timeout: Duration::from_secs(5),
///     ..ServeLimits::default()
/// };
/// assert_eq!(limits.max_connections, 10_000);
/// ```
#[derive(Debug, Clone)]
pub struct ServeLimits {
    /// How long a connection has to send a request's headers; then it is closed.
    pub header_read_timeout: Duration,
    /// HTTP connections handled at once (a websocket stops counting once upgraded); more
    /// are closed as they arrive, and logged.
    pub max_connections: usize,
    /// After the shutdown signal, how long requests in flight get to finish.
    pub shutdown_grace: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 10_000,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, with `limits`. Sockets get
/// `TCP_NODELAY` (a pushed update must not wait for the client's delayed ACK).
///
/// ```no_run
/// # async fn run(app: axum::Router) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:4000").await?;
/// let stop = async { let _ = tokio::signal::ctrl_c().await; };
/// liveview_core::serve(listener, app, liveview_core::ServeLimits::default(), stop).await
/// # }
/// ```
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stopping, stop_signal) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors, typically: wait instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(
                "refusing a connection: {} are open (ServeLimits::max_connections)",
                limits.max_connections
            );
            continue;
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY");
        }
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout);
        let service = TowerToHyperService::new(app.clone());
        let mut stop_signal = stop_signal.clone();
        connections.spawn(async move {
            let connection = builder
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(connection);
            let outcome = tokio::select! {
                outcome = connection.as_mut() => outcome,
                _ = stop_signal.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = outcome {
                tracing::debug!(%error, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    stopping.send_replace(true);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown_grace, drained)
        .await
        .is_err()
    {
        tracing::warn!(
            "{} connections still open after the shutdown grace; closing them",
            connections.len()
        );
        connections.abort_all();
    }
    Ok(())
}
