//! Real servers for tests, each started in a temporary directory on a free loopback port
//! and stopped when the test process lets go of it, however it ends.
//!
//! - [`postgres`]: a throwaway PostgreSQL server, one per test binary
//!   ([`postgres::TestPostgres::shared`]), a fresh database in it per test.
//! - [`each_database`]: one test body run on SQLite and on PostgreSQL
//!   ([`test_on_each_database!`]).
//!
//! The demo's unit tests (`demo-app`, as a dev-dependency) and the cross-crate tests in
//! `tests/` (multi-node ones included) share these.

pub mod each_database;
pub mod postgres;
