//! A real `redis-server` for tests: on a free loopback port, in a temporary directory,
//! without persistence, stopped when dropped.
//!
//! ```no_run
//! let redis = liveview_tests::redis_server::RedisServer::start();
//! let url = redis.url(); // redis://127.0.0.1:PORT
//! # let _ = url;
//! ```
//!
//! It waits for the server's own "Ready to accept connections" line, then checks a PING,
//! so a test never sleeps to guess when Redis is up. Without `redis-server` on the PATH it
//! fails, naming the Debian package to install.

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a starting server may take to say it is ready before the test fails.
const READY_WITHIN: Duration = Duration::from_secs(20);

/// A running `redis-server`.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts a server on a free port of 127.0.0.1.
    ///
    /// # Panics
    ///
    /// When `redis-server` is missing (the message says `apt-get install redis-server`)
    /// or does not start.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory for redis-server");
        // Another program may take the free port between our look and Redis's bind:
        // then Redis exits, and another port is tried.
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            match spawn(port, dir.path()) {
                Ok(child) => {
                    return RedisServer {
                        child: Some(child),
                        port,
                        dir,
                    }
                }
                Err(error) => last_error = error,
            }
        }
        panic!("redis-server did not start: {last_error}");
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The URL for logging in as ACL user `user` with `password`.
    pub fn url_as(&self, user: &str, password: &str) -> String {
        format!("redis://{user}:{password}@127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (SIGKILL: no goodbye to its clients) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server if it runs, and starts a new one on the same port.
    ///
    /// # Panics
    ///
    /// When it does not start (the port was taken meanwhile).
    pub fn restart(&mut self) {
        self.kill();
        match spawn(self.port, self.dir.path()) {
            Ok(child) => self.child = Some(child),
            Err(error) => panic!(
                "redis-server did not restart on port {}: {error}",
                self.port
            ),
        }
    }

    /// Runs one command and returns its answer, e.g.
    /// `redis.query::<Vec<(String, u64)>>(redis::cmd("PUBSUB").arg("NUMSUB").arg("x"))`.
    ///
    /// # Panics
    ///
    /// When the server cannot be reached or refuses the command.
    pub fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> T {
        let client = redis::Client::open(self.url()).expect("the server's URL");
        let mut connection = client
            .get_connection()
            .expect("a connection to redis-server");
        command
            .query(&mut connection)
            .unwrap_or_else(|error| panic!("redis-server refused {command:?}: {error}"))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Starts `redis-server` on `port` in `dir` and waits until it accepts connections.
fn spawn(port: u16, dir: &std::path::Path) -> Result<Child, String> {
    let mut child = Command::new("redis-server")
        .args(["--port", &port.to_string()])
        .args(["--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir)
        .args(["--logfile", "", "--loglevel", "notice"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => panic!(
                "redis-server is not installed; the Redis tests need it: \
                 apt-get install -y redis-server"
            ),
            _ => format!("cannot run redis-server: {error}"),
        })?;
    let stdout = child.stdout.take().expect("redis-server's stdout");
    let (ready, is_ready) = mpsc::channel();
    // Reads the log for the ready line, then keeps draining it so Redis never blocks on a
    // full pipe; the thread ends when the server does.
    std::thread::spawn(move || {
        let mut log = Vec::new();
        let mut told = false;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if !told {
                if line.contains("Ready to accept connections") {
                    let _ = ready.send(Ok(()));
                    told = true;
                } else {
                    log.push(line);
                }
            }
        }
        if !told {
            let _ = ready.send(Err(log.join("\n")));
        }
    });
    match is_ready.recv_timeout(READY_WITHIN) {
        Ok(Ok(())) => {}
        Ok(Err(log)) => {
            let _ = child.wait();
            return Err(format!("it exited on port {port}:\n{log}"));
        }
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("not ready within {} s", READY_WITHIN.as_secs()));
        }
    }
    let pong: String = redis::cmd("PING")
        .query(
            &mut redis::Client::open(format!("redis://127.0.0.1:{port}"))
                .and_then(|c| c.get_connection())
                .map_err(|e| format!("no connection after ready: {e}"))?,
        )
        .map_err(|e| format!("no PONG: {e}"))?;
    if pong != "PONG" {
        return Err(format!("PING answered {pong:?}"));
    }
    Ok(child)
}
