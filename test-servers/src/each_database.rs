//! One test body, run on each database the demo supports: SQLite and a real PostgreSQL.
//!
//! Write the body as an `async fn` taking a [`TestDatabase`], and list it in
//! [`test_on_each_database!`]: that makes two tests of it, `<name>::on_sqlite` and
//! `<name>::on_postgres`, so `cargo test on_postgres` runs every PostgreSQL one.
//!
//! ```
//! use test_servers::each_database::TestDatabase;
//!
//! async fn a_fresh_database_answers(database: TestDatabase) {
//!     let url = database.fresh_url().await;
//!     assert!(url.starts_with("sqlite:") || url.starts_with("postgres:"));
//! }
//!
//! test_servers::test_on_each_database!(a_fresh_database_answers);
//! # fn main() {}
//! ```

use crate::postgres::TestPostgres;

/// Which database a test body runs on this time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestDatabase {
    /// SQLite, in memory.
    Sqlite,
    /// A fresh database in this test binary's PostgreSQL server
    /// ([`TestPostgres::shared`]).
    Postgres,
}

impl TestDatabase {
    /// The URL of a new, empty database of this kind, for one test: a private in-memory
    /// SQLite database, or a new database in the shared PostgreSQL server.
    ///
    /// # Panics
    ///
    /// When PostgreSQL cannot start or create the database (the message says why).
    pub async fn fresh_url(self) -> String {
        match self {
            TestDatabase::Sqlite => "sqlite::memory:".to_owned(),
            TestDatabase::Postgres => TestPostgres::shared()
                .await
                .create_database()
                .await
                .unwrap_or_else(|e| panic!("cannot create a PostgreSQL database: {e}")),
        }
    }
}

/// Makes two tests of each listed `async fn(TestDatabase)`: `<name>::on_sqlite` and
/// `<name>::on_postgres`, each on a multi-threaded runtime (two workers, so racing tasks
/// really run at once). The calling crate needs `tokio` with its `macros` and
/// `rt-multi-thread` features. See [the module](crate::each_database) for an example.
#[macro_export]
macro_rules! test_on_each_database {
    ($($test:ident),+ $(,)?) => {
        $(
            mod $test {
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sqlite() {
                    super::$test($crate::each_database::TestDatabase::Sqlite).await;
                }

                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() {
                    super::$test($crate::each_database::TestDatabase::Postgres).await;
                }
            }
        )+
    };
}
