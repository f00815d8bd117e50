//! `cargo run -p demo-app`: serves the demo on 127.0.0.1:4000 (override with HOST/PORT).
//!
//! `WORKERS=N` (default 1) runs N server processes that share the port through
//! `SO_REUSEPORT`, the kernel spreading connections between them. One process is the right
//! default; several are for machines whose per-process open-files limit is below the number
//! of connections to hold (each live view is one socket). They share `LIVEVIEW_SECRET` so a
//! page rendered by one process joins on another; one is generated when it is not set.
//!
//! `DATABASE_URL` (default `sqlite://demo.db`, relative to the working directory) names the
//! SQLite database, created, migrated and loaded with the cities data set on first start;
//! the program says why and exits non-zero when it cannot be opened.

use std::net::SocketAddr;
use std::process::ExitCode;

use liveview_core::{LiveConfig, ServeLimits};
use tracing_subscriber::EnvFilter;

/// How long views get to finish after their clients were told the server is going away.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Set in the environment of the worker processes `WORKERS` starts.
const WORKER: &str = "DEMO_APP_WORKER";

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let workers = match std::env::var("WORKERS").map(|w| w.parse::<usize>()) {
        Err(_) => 1,
        Ok(Ok(n)) if n >= 1 => n,
        Ok(_) => {
            eprintln!("WORKERS must be a whole number of at least 1");
            return ExitCode::FAILURE;
        }
    };
    let worker = std::env::var_os(WORKER).is_some();
    let result = if workers > 1 && !worker {
        runtime.block_on(supervise(workers))
    } else {
        runtime.block_on(serve(workers > 1))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("demo-app: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Serves the demo until Ctrl-C or SIGTERM.
async fn serve(share_port: bool) -> Result<(), Box<dyn std::error::Error>> {
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port = std::env::var("PORT").unwrap_or_else(|_| "4000".into());
    let addr: SocketAddr = format!("{host}:{port}").parse()?;

    // Settings first: a bad one stops the start before any work.
    let config = LiveConfig::from_env()?;
    let state = demo_app::AppState::open(&demo_app::db::database_url_from_env()).await?;
    let live = demo_app::live(config, &state);
    let app = demo_app::routes(&live, state);
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(share_port)?;
    socket.bind(addr)?;
    // Room for a burst of connections (every open tab reconnecting after a restart).
    let listener = socket.listen(4096)?;
    tracing::info!("demo app listening on http://{addr}");
    // A header-read deadline and a connection cap (slowloris), TCP_NODELAY, and on
    // Ctrl-C/SIGTERM: stop accepting, let requests in flight finish.
    liveview_core::serve(listener, app, ServeLimits::default(), shutdown_signal()).await?;
    // No new connections now; tell every view's client to reconnect elsewhere, and give the
    // views a moment to finish.
    let left = live.shutdown(SHUTDOWN_GRACE).await;
    tracing::info!("shut down ({left} views still running after the grace period)");
    Ok(())
}

/// Starts `workers` copies of this program on the same port and waits for them; Ctrl-C or
/// SIGTERM is passed on to each. The database is created, migrated and loaded here first,
/// so the workers do not race to do it and a bad `DATABASE_URL` stops everything at once.
async fn supervise(workers: usize) -> Result<(), Box<dyn std::error::Error>> {
    let db = demo_app::Db::connect(&demo_app::db::database_url_from_env()).await?;
    demo_app::cities::ensure_loaded(&db).await?;
    db.close().await;
    let secret = match std::env::var("LIVEVIEW_SECRET") {
        Ok(secret) => secret,
        Err(_) => {
            let mut key = [0u8; 32];
            std::fs::File::open("/dev/urandom")
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut key))?;
            key.iter().map(|b| format!("{b:02x}")).collect()
        }
    };
    let exe = std::env::current_exe()?;
    let mut children = Vec::with_capacity(workers);
    for i in 0..workers {
        let mut command = tokio::process::Command::new(&exe);
        command
            .env(WORKER, i.to_string())
            .env("LIVEVIEW_SECRET", &secret)
            .kill_on_drop(true);
        #[allow(unsafe_code)]
        // SAFETY: between fork and exec the closure only makes one async-signal-safe
        // system call. It makes the worker exit with its supervisor, however that ends.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        children.push(command.spawn()?);
    }
    tracing::info!("supervising {workers} worker processes");
    let ids: Vec<u32> = children
        .iter()
        .filter_map(tokio::process::Child::id)
        .collect();
    let all_exit = futures_util::future::join_all(children.iter_mut().map(|c| c.wait()));
    tokio::select! {
        statuses = all_exit => {
            if statuses.iter().any(|s| !s.as_ref().is_ok_and(|s| s.success())) {
                return Err("a worker process failed".into());
            }
        }
        () = shutdown_signal() => {
            for id in ids {
                #[allow(unsafe_code)]
                // SAFETY: plain kill(2) on a child we started.
                unsafe { libc::kill(id as libc::pid_t, libc::SIGTERM) };
            }
            for child in &mut children {
                let _ = child.wait().await;
            }
        }
    }
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, let in-flight requests finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}
