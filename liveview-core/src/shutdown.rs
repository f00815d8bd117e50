//! Draining on shutdown: every view's client is told "going away" (close 1001), so it
//! reconnects (to another node, where there is one) instead of seeing a dropped socket,
//! and the server waits a bounded time for the processes to end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};

/// The shutdown signal and the count of running processes, shared by one `Live`.
#[derive(Debug, Clone)]
pub(crate) struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    signal: watch::Sender<bool>,
    running: AtomicUsize,
    ended: Notify,
}

/// Held by a running process; dropping it counts the process out.
#[derive(Debug)]
pub(crate) struct Running {
    inner: Arc<Inner>,
    /// Changes to `true` when the server shuts down.
    pub(crate) signal: watch::Receiver<bool>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.inner.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.inner.ended.notify_waiters();
        }
    }
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown {
            inner: Arc::new(Inner {
                signal: watch::Sender::new(false),
                running: AtomicUsize::new(0),
                ended: Notify::new(),
            }),
        }
    }
}

impl Shutdown {
    /// Counts a process in.
    pub(crate) fn register(&self) -> Running {
        self.inner.running.fetch_add(1, Ordering::AcqRel);
        Running {
            inner: self.inner.clone(),
            signal: self.inner.signal.subscribe(),
        }
    }

    /// Tells every process to close, then waits until all have ended or `grace` passed;
    /// returns how many were still running.
    pub(crate) async fn drain(&self, grace: Duration) -> usize {
        self.inner.signal.send_replace(true);
        let all_ended = async {
            loop {
                let ended = self.inner.ended.notified();
                if self.inner.running.load(Ordering::Acquire) == 0 {
                    return;
                }
                ended.await;
            }
        };
        let _ = tokio::time::timeout(grace, all_ended).await;
        self.inner.running.load(Ordering::Acquire)
    }
}
