//! Waiting in tests for something to become true, bounded, instead of sleeping a guess.

use std::time::{Duration, Instant};

/// How long [`until`] waits before failing the test.
pub const LIMIT: Duration = Duration::from_secs(20);

/// Checks `condition` every 10 ms until it holds; fails the test, naming `what`, when it
/// has not held within [`LIMIT`].
///
/// ```no_run
/// # async fn run(ready: std::sync::atomic::AtomicBool) {
/// liveview_tests::wait::until("ready", || ready.load(std::sync::atomic::Ordering::Relaxed)).await;
/// # }
/// ```
pub async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "{what}: still not true after {} s",
            LIMIT.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
