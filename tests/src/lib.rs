//! Cross-crate tests live in `tests/tests/` (protocol over a real websocket, the demo
//! through the harness); `tests/vectors/` holds the patch vectors shared with the JS
//! client, `tests/e2e/` the browser tests, and `src/bin/loadgen.rs` the load generator
//! behind `docs/benchmarks.md`. The library holds what several test files share:
//! [`redis_server`], a real `redis-server` for the multi-node tests, and [`wait`].

pub mod redis_server;
pub mod wait;
