//! The demo's database: a pool of SQLite connections, created and migrated on open.
//!
//! Only SQLite is supported today. [`Db`] keeps its pool private and the SQL elsewhere in
//! the app portable where that costs nothing, so a PostgreSQL pool can be added behind the
//! same type later (a `postgres://` URL is refused with a clear message until then).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::SqliteSynchronous;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

/// Used when `DATABASE_URL` is not set: a file `demo.db` in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://demo.db";

/// How long a connection waits for another one's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a request waits for a free connection from the pool.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// File databases: enough connections for concurrent readers (WAL lets them run beside
/// the one writer).
const MAX_CONNECTIONS: u32 = 8;

/// Migration attempts before giving up (another process may hold the file).
const MIGRATE_ATTEMPTS: u32 = 6;

/// The migrations in `demo-app/migrations/`, compiled into the binary.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// `DATABASE_URL` from the environment, or [`DEFAULT_DATABASE_URL`].
pub fn database_url_from_env() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned())
}

/// The database handle the app's handlers share: cheap to clone (a pool behind an `Arc`).
#[derive(Clone, Debug)]
pub struct Db {
    pool: SqlitePool,
}

impl Db {
    /// Opens the database at `url`, creating the file if missing, and runs the migrations.
    ///
    /// `sqlite://path` (relative to the working directory), `sqlite:///abs/path` and
    /// `sqlite::memory:` (one private in-memory database per call, for tests) are accepted.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        let error = |kind| DbError {
            url: url.to_owned(),
            kind,
        };
        if !url.starts_with("sqlite:") {
            let scheme = url.split(':').next().unwrap_or_default();
            return Err(error(DbErrorKind::Unsupported(scheme.to_owned())));
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| error(DbErrorKind::Open(e)))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        // An in-memory database lives as long as one connection to it: keep exactly one,
        // open for good (a shared cache with several would also lock tables against
        // each other).
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool_options = if in_memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(MAX_CONNECTIONS)
        };
        let pool_options = pool_options.acquire_timeout(ACQUIRE_TIMEOUT);
        // Another process starting on the same file may be switching it to WAL or migrating
        // at the same moment (the file is locked for a while, or its tables now exist):
        // look again, a few times, with growing pauses.
        let mut pause = Duration::from_millis(100);
        let pool = loop {
            match pool_options.clone().connect_with(options.clone()).await {
                Ok(pool) => break pool,
                Err(e) if is_locked(&e) && pause < Duration::from_secs(4) => {
                    tracing::debug!("opening {url}: {e}; trying again");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(e) => return Err(error(DbErrorKind::Open(e))),
            }
        };
        let mut pause = Duration::from_millis(100);
        for attempt in 1.. {
            match MIGRATOR.run(&pool).await {
                Ok(()) => break,
                Err(e) if attempt >= MIGRATE_ATTEMPTS => {
                    return Err(error(DbErrorKind::Migrate(e)));
                }
                Err(e) => {
                    tracing::debug!("migrating {url}: {e}; trying again");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
            }
        }
        Ok(Db { pool })
    }

    /// The SQLite pool, for queries.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Runs `SELECT 1`: `Ok` when the database answers.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Closes every connection; later queries fail (and `/health` says so).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// SQLite's "database is locked" (another connection holds the file for a moment).
fn is_locked(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "5" || code == "6")
}

/// The database could not be opened: which URL, and why.
#[derive(Debug)]
pub struct DbError {
    url: String,
    kind: DbErrorKind,
}

#[derive(Debug)]
enum DbErrorKind {
    Unsupported(String),
    Open(sqlx::Error),
    Migrate(sqlx::migrate::MigrateError),
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = &self.url;
        match &self.kind {
            DbErrorKind::Unsupported(scheme) => write!(
                f,
                "DATABASE_URL {url:?}: the {scheme:?} scheme is not supported \
                 (use sqlite://PATH or sqlite::memory:)"
            ),
            DbErrorKind::Open(e) => write!(f, "cannot open the database {url:?}: {e}"),
            DbErrorKind::Migrate(e) => write!(f, "cannot migrate the database {url:?}: {e}"),
        }
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            DbErrorKind::Unsupported(_) => None,
            DbErrorKind::Open(e) => Some(e),
            DbErrorKind::Migrate(e) => Some(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_database_is_created_migrated_and_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        let db = Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        assert!(path.exists());
        db.ping().await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let tables: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('meta', 'cities')",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(tables, 2);
    }

    #[tokio::test]
    async fn an_in_memory_database_keeps_its_data_between_queries() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        sqlx::query("INSERT INTO meta (key, value) VALUES ('k', 'v')")
            .execute(db.pool())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        let value: String = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'k'")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(value, "v");
        // Each in-memory database is its own.
        let other = Db::connect("sqlite::memory:").await.unwrap();
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM meta")
            .fetch_one(other.pool())
            .await
            .unwrap();
        assert_eq!(count, 0);
    }

    #[tokio::test]
    async fn an_unusable_path_or_scheme_is_a_clear_error() {
        let error = Db::connect("sqlite:///nonexistent-dir/sub/x.db")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("cannot open the database \"sqlite:///nonexistent-dir/sub/x.db\""),
            "{error}"
        );
        let error = Db::connect("postgres://localhost/demo")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("\"postgres\" scheme is not supported"),
            "{error}"
        );
    }
}
