//! A throwaway PostgreSQL server for tests: its own cluster in a temporary directory, on a
//! free loopback port, with trust authentication for the user `postgres`.
//!
//! [`TestPostgres::start`], step by step:
//!
//! 1. find the server's programs: `pg_config --bindir`, then `initdb` on `PATH`, then
//!    Debian's `/usr/lib/postgresql/<version>/bin` (the newest);
//! 2. make a temporary directory; as root, give it to the `postgres` system user and run
//!    every program below as that user (`initdb` refuses to run as root);
//! 3. start a watchdog shell that stops the server and removes the directory once its
//!    standard input closes: when the [`TestPostgres`] is dropped, and also when the test
//!    process exits or is killed without dropping it (a `static` never is);
//! 4. `initdb` a cluster into the directory (no fsync: a test's data need not survive a
//!    power cut);
//! 5. `pg_ctl start --wait` the server on a free port, its unix socket in the directory
//!    (another process taking the port first makes it try again on a new one);
//! 6. connect to it once, so a returned server is one that answers.
//!
//! One server per test binary ([`TestPostgres::shared`]) and a fresh database per test
//! ([`TestPostgres::create_database`], tens of milliseconds) keep tests independent and
//! fast.

use std::fmt;
use std::io;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{Connection as _, Executor as _, PgConnection};
use tokio::sync::OnceCell;

/// The user the cluster is made for (and, as root, the system user it runs as).
const USER: &str = "postgres";

/// Ports tried before giving up, when another process takes the free port first.
const PORT_ATTEMPTS: usize = 3;

/// Server settings for tests: loopback only, durability traded for speed, room for many
/// pools of several connections at once.
const SERVER_OPTIONS: &str = "-c listen_addresses=127.0.0.1 -c fsync=off \
    -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";

/// The watchdog: waits until its standard input closes, then stops the server (if it
/// runs) and removes the directory. Arguments: the programs' directory, the temporary one.
const WATCHDOG: &str = r#"cat >/dev/null
"$1/pg_ctl" stop --pgdata="$2/data" --mode=fast --wait >/dev/null 2>&1
rm -rf "$2""#;

/// A PostgreSQL server of its own, stopped (and its files removed) on drop.
#[derive(Debug)]
pub struct TestPostgres {
    port: u16,
    dir: PathBuf,
    /// Closing its standard input stops the server: see [`WATCHDOG`].
    watchdog: Child,
    watchdog_stdin: Option<ChildStdin>,
    databases: AtomicUsize,
}

impl TestPostgres {
    /// The server every test of this test binary shares, started by the first one to ask.
    ///
    /// # Panics
    ///
    /// When the server cannot start, with the reason (for instance PostgreSQL is not
    /// installed, and which package to install).
    pub async fn shared() -> &'static TestPostgres {
        static SHARED: OnceCell<TestPostgres> = OnceCell::const_new();
        SHARED
            .get_or_init(|| async {
                TestPostgres::start()
                    .await
                    .unwrap_or_else(|e| panic!("cannot start PostgreSQL for the tests: {e}"))
            })
            .await
    }

    /// Starts a new server (see the module doc for the steps).
    pub async fn start() -> Result<TestPostgres, StartError> {
        let bin = bin_dir()?;
        let run_as = RunAs::current()?;
        let dir = tempfile::Builder::new()
            .prefix("test-postgres-")
            .tempdir()
            .and_then(|dir| {
                let dir = dir.keep();
                run_as.give(&dir)?;
                Ok(dir)
            })
            .map_err(|e| StartError::Io("making the temporary directory", e))?;
        let mut watchdog = run_as
            .command("sh")
            .args(["-c", WATCHDOG, "watchdog"])
            .arg(&bin)
            .arg(&dir)
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|e| StartError::Io("starting the watchdog shell", e))?;
        let mut server = TestPostgres {
            port: 0,
            dir,
            watchdog_stdin: watchdog.stdin.take(),
            watchdog,
            databases: AtomicUsize::new(0),
        };
        let data = server.dir.join("data");
        run(run_as
            .command(bin.join("initdb"))
            .arg("--pgdata")
            .arg(&data)
            .args(["--username", USER, "--auth=trust", "--encoding=UTF8"])
            .args(["--locale=C", "--no-sync"]))?;
        for attempt in 1..=PORT_ATTEMPTS {
            server.port = free_port().map_err(|e| StartError::Io("finding a free port", e))?;
            let options = format!(
                "{SERVER_OPTIONS} -p {} -k {}",
                server.port,
                server.dir.display()
            );
            let started = run(run_as
                .command(bin.join("pg_ctl"))
                .arg("start")
                .arg("--pgdata")
                .arg(&data)
                .arg("--log")
                .arg(server.dir.join("log"))
                .args(["--wait", "--timeout=60", "--options", &options]));
            match started {
                Ok(()) => break,
                Err(_) if attempt < PORT_ATTEMPTS && server.log().contains("could not bind") => {}
                Err(e) => return Err(e.with_log(&server.log())),
            }
        }
        PgConnection::connect(&server.url(USER))
            .await
            .map_err(StartError::Connect)?
            .close()
            .await
            .map_err(StartError::Connect)?;
        Ok(server)
    }

    /// The URL of database `database` on this server, as user `postgres`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{database}", self.port)
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates a new, empty database and returns its URL.
    pub async fn create_database(&self) -> Result<String, sqlx::Error> {
        self.create(None).await
    }

    /// Creates a new database as a copy of another one of this server, given by its URL
    /// (as [`TestPostgres::create_database`] returned it), and returns the copy's URL.
    /// Faster than filling each test's database alike; nothing may be connected to the
    /// template while it is copied.
    pub async fn copy_database(&self, template_url: &str) -> Result<String, sqlx::Error> {
        let template = template_url.rsplit('/').next().unwrap_or_default();
        self.create(Some(template)).await
    }

    async fn create(&self, template: Option<&str>) -> Result<String, sqlx::Error> {
        let name = format!("test_{}", self.databases.fetch_add(1, Ordering::Relaxed));
        let template = template.map_or(String::new(), |t| format!(" TEMPLATE \"{t}\""));
        let mut admin = PgConnection::connect(&self.url(USER)).await?;
        admin
            .execute(format!("CREATE DATABASE \"{name}\"{template}").as_str())
            .await?;
        admin.close().await?;
        Ok(self.url(&name))
    }

    /// The server's log so far (empty once the directory is gone).
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for TestPostgres {
    /// Stops the server and removes its directory before returning.
    fn drop(&mut self) {
        drop(self.watchdog_stdin.take());
        let _ = self.watchdog.wait();
    }
}

/// Who runs the server's programs.
enum RunAs {
    /// This process's user.
    Me,
    /// Root runs them as the `postgres` system user (`initdb` refuses root).
    Postgres(nix::unistd::User),
}

impl RunAs {
    fn current() -> Result<RunAs, StartError> {
        if !nix::unistd::geteuid().is_root() {
            return Ok(RunAs::Me);
        }
        match nix::unistd::User::from_name(USER) {
            Ok(Some(user)) => Ok(RunAs::Postgres(user)),
            _ => Err(StartError::NoPostgresUser),
        }
    }

    /// Makes `path` the user's.
    fn give(&self, path: &Path) -> io::Result<()> {
        match self {
            RunAs::Me => Ok(()),
            RunAs::Postgres(user) => {
                std::os::unix::fs::chown(path, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
            }
        }
    }

    /// A command that runs `program` as the user.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        match self {
            RunAs::Me => Command::new(program),
            RunAs::Postgres(_) => {
                let mut command = Command::new("runuser");
                command.args(["-u", USER, "--"]).arg(program);
                command
            }
        }
    }
}

/// Runs a command to its end; an error with its output when it fails.
fn run(command: &mut Command) -> Result<(), StartError> {
    let program = format!("{command:?}");
    match command.stdin(Stdio::null()).output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(StartError::Failed {
            program,
            output,
            log: String::new(),
        }),
        Err(e) => Err(StartError::Io("running a PostgreSQL program", e)),
    }
}

/// A port nothing listens on now (the server binds it a moment later; see
/// [`PORT_ATTEMPTS`] for when another process is quicker).
fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The directory with `initdb`, `pg_ctl` and `postgres`.
fn bin_dir() -> Result<PathBuf, StartError> {
    let has_server = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|p| dir.join(p).is_file())
    };
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()));
    // On PATH, `initdb` may be a link to the real directory (Debian's postgresql-common).
    let from_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("initdb"))
            .find(|initdb| initdb.is_file())
            .and_then(|initdb| initdb.canonicalize().ok())
            .and_then(|initdb| initdb.parent().map(Path::to_path_buf))
    });
    let newest_debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| has_server(bin))
        .max()
        .map(|(_, bin)| bin);
    [from_pg_config, from_path, newest_debian]
        .into_iter()
        .flatten()
        .find(|dir| has_server(dir))
        .ok_or(StartError::NotInstalled)
}

/// Why a [`TestPostgres`] could not start.
#[derive(Debug)]
pub enum StartError {
    /// The server's programs were not found.
    NotInstalled,
    /// Running as root, and there is no `postgres` user to run the server as.
    NoPostgresUser,
    /// A file or process operation failed.
    Io(&'static str, io::Error),
    /// A PostgreSQL program failed: the command, what it printed, the server's log.
    Failed {
        /// The command line.
        program: String,
        /// Its status and output.
        output: Output,
        /// The server's log, when there is one.
        log: String,
    },
    /// The server started but does not take connections.
    Connect(sqlx::Error),
}

impl StartError {
    fn with_log(self, server_log: &str) -> StartError {
        match self {
            StartError::Failed {
                program, output, ..
            } => StartError::Failed {
                program,
                output,
                log: server_log.to_owned(),
            },
            other => other,
        }
    }
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::NotInstalled => f.write_str(
                "PostgreSQL's server programs (initdb, pg_ctl, postgres) are not installed: \
                 none found by `pg_config --bindir`, on PATH or in /usr/lib/postgresql/*/bin. \
                 Install Debian's `postgresql` package (apt-get install postgresql).",
            ),
            StartError::NoPostgresUser => f.write_str(
                "running as root, and there is no `postgres` user to run the server as \
                 (initdb refuses root; Debian's `postgresql` package creates the user)",
            ),
            StartError::Io(what, e) => write!(f, "{what}: {e}"),
            StartError::Failed {
                program,
                output,
                log,
            } => write!(
                f,
                "{program} failed ({}):\n{}{}\n{log}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
            StartError::Connect(e) => write!(f, "the server does not take connections: {e}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Io(_, e) => Some(e),
            StartError::Connect(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_serves_separate_databases_and_is_gone_after_drop() {
        let server = TestPostgres::start().await.unwrap();
        let a = server.create_database().await.unwrap();
        let b = server.create_database().await.unwrap();
        assert_ne!(a, b);
        let mut conn = PgConnection::connect(&a).await.unwrap();
        conn.execute("CREATE TABLE t (x INT)").await.unwrap();
        conn.close().await.unwrap();
        let mut conn = PgConnection::connect(&b).await.unwrap();
        assert!(
            conn.execute("SELECT * FROM t").await.is_err(),
            "b has no table t"
        );
        conn.close().await.unwrap();

        let (dir, url) = (server.dir.clone(), server.url(USER));
        assert!(dir.join("data").is_dir());
        drop(server);
        assert!(!dir.exists(), "{} removed", dir.display());
        assert!(PgConnection::connect(&url).await.is_err(), "stopped");
    }

    #[tokio::test]
    async fn a_copy_of_a_database_has_its_tables_and_rows() {
        let server = TestPostgres::shared().await;
        let template = server.create_database().await.unwrap();
        let mut conn = PgConnection::connect(&template).await.unwrap();
        conn.execute("CREATE TABLE t (x INT); INSERT INTO t VALUES (7)")
            .await
            .unwrap();
        conn.close().await.unwrap();
        let copy = server.copy_database(&template).await.unwrap();
        let mut conn = PgConnection::connect(&copy).await.unwrap();
        let x: i32 = sqlx::query_scalar("SELECT x FROM t")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(x, 7);
    }
}
