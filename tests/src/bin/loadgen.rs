//! Load generator: speaks the live protocol to a running server and reports latency,
//! throughput, frame sizes and server memory. Bounded in connections and time, and
//! refuses any address outside 127.0.0.0/8.
//!
//! ```text
//! loadgen roundtrip --url http://127.0.0.1:4000/counter --requests 20000
//! loadgen busy      --url ... --connections 200 --seconds 10
//! loadgen idle      --url ... --connections 10000 --server-pid PID [--sources 8]
//! loadgen floor     --requests 20000
//! ```
//!
//! `floor` needs no server: it measures a plain TCP echo round trip on loopback with tokio
//! (same message sizes as a counter click), the machine's floor for `roundtrip`.
//!
//! Output is one JSON object on stdout (figures) so scripts can collect it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const MAX_CONNECTIONS: usize = 120_000;
const MAX_SECONDS: u64 = 120;

type Ws = WebSocketStream<TcpStream>;

struct Args {
    mode: String,
    addr: SocketAddr,
    path: String,
    connections: usize,
    seconds: u64,
    requests: usize,
    server_pid: Option<u32>,
    sources: u8,
    event: String,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mode = it
        .next()
        .ok_or("usage: loadgen roundtrip|busy|idle --url URL [...]")?;
    let mut url = "http://127.0.0.1:4000/counter".to_string();
    let mut args = Args {
        mode,
        addr: "127.0.0.1:4000".parse().unwrap(),
        path: String::new(),
        connections: 1,
        seconds: 10,
        requests: 10_000,
        server_pid: None,
        sources: 1,
        event: "increment".into(),
    };
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = || value.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--url" => url = value.clone(),
            "--connections" => args.connections = number()? as usize,
            "--seconds" => args.seconds = number()?,
            "--requests" => args.requests = number()? as usize,
            "--server-pid" => args.server_pid = Some(number()? as u32),
            "--sources" => args.sources = number()?.clamp(1, 250) as u8,
            "--event" => args.event = value.clone(),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    let rest = url.strip_prefix("http://").ok_or("--url must be http://")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    args.addr = authority.parse().map_err(|e| format!("--url host: {e}"))?;
    args.path = if path.is_empty() {
        "/".into()
    } else {
        path.into()
    };
    match args.addr.ip() {
        IpAddr::V4(ip) if ip.octets()[0] == 127 => {}
        _ => return Err("only loopback (127.0.0.0/8) targets are allowed".into()),
    }
    if args.connections > MAX_CONNECTIONS || args.seconds > MAX_SECONDS {
        return Err(format!(
            "bounded: at most {MAX_CONNECTIONS} connections and {MAX_SECONDS} s"
        ));
    }
    Ok(args)
}

/// The dead render, over a raw HTTP/1.1 request; returns the page's session token.
async fn session_token(addr: SocketAddr, path: &str) -> Result<String, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut page = String::new();
    stream
        .read_to_string(&mut page)
        .await
        .map_err(|e| e.to_string())?;
    page.split("data-phx-session=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(str::to_owned)
        .ok_or_else(|| "the page has no data-phx-session".to_string())
}

/// Opens a socket from source address 127.0.0.(1 + i % sources) and joins the view.
async fn join(args: &Args, token: &str, i: usize) -> Result<Ws, String> {
    let source = Ipv4Addr::new(127, 0, 0, 1 + (i % args.sources as usize) as u8);
    let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .bind(SocketAddr::new(source.into(), 0))
        .map_err(|e| format!("bind {source}: {e}"))?;
    let stream = socket
        .connect(args.addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let url = format!("ws://{}{}?vsn=1", args.addr, args.path);
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream)
        .await
        .map_err(|e| format!("upgrade: {e}"))?;
    let page_url = format!("http://{}{}", args.addr, args.path);
    let frame = json!([1, "join", {"session": token, "url": page_url}]).to_string();
    ws.send(Message::text(frame))
        .await
        .map_err(|e| e.to_string())?;
    reply(&mut ws).await?;
    Ok(ws)
}

/// Reads frames until a reply with a ref (pushes with ref 0 are skipped); returns its size.
async fn reply(ws: &mut Ws) -> Result<usize, String> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                if text.as_str().starts_with("[0") {
                    continue;
                }
                if text.as_str().contains("\"error\"") || text.as_str().contains("\"fatal\"") {
                    return Err(format!("server refused: {}", text.as_str()));
                }
                return Ok(text.len());
            }
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => return Err(e.to_string()),
            Ok(None) => return Err("closed".into()),
            Err(_) => return Err("no reply in 10 s".into()),
        }
    }
}

fn event_frame(reference: u64, event: &str) -> Message {
    Message::text(format!("[{reference},\"event\",\"{event}\",{{}}]"))
}

fn percentiles(mut samples: Vec<Duration>) -> Value {
    samples.sort();
    let at = |q: f64| {
        samples
            .get(((samples.len() as f64 - 1.0) * q).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1e6)
    };
    json!({ "samples": samples.len(), "median_us": at(0.5), "p99_us": at(0.99), "max_us": at(1.0) })
}

async fn roundtrips(ws: &mut Ws, n: usize, event: &str) -> Result<(Vec<Duration>, usize), String> {
    let mut latencies = Vec::with_capacity(n);
    let mut bytes = 0;
    for r in 0..n {
        let start = Instant::now();
        ws.send(event_frame(r as u64 + 2, event))
            .await
            .map_err(|e| e.to_string())?;
        bytes = reply(ws).await?;
        latencies.push(start.elapsed());
    }
    Ok((latencies, bytes))
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Round trips of a 30-byte request and a 20-byte reply over a loopback TCP echo.
async fn floor(requests: usize) -> Result<Value, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        if let Ok((mut socket, _)) = listener.accept().await {
            let _ = socket.set_nodelay(true);
            let mut buf = [0u8; 64];
            while let Ok(n) = socket.read(&mut buf).await {
                if n == 0 || socket.write_all(&buf[..20.min(n)]).await.is_err() {
                    break;
                }
            }
        }
    });
    let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let request = [b'x'; 30];
    let mut reply = [0u8; 20];
    let mut latencies = Vec::with_capacity(requests);
    for _ in 0..requests {
        let start = Instant::now();
        stream
            .write_all(&request)
            .await
            .map_err(|e| e.to_string())?;
        stream
            .read_exact(&mut reply)
            .await
            .map_err(|e| e.to_string())?;
        latencies.push(start.elapsed());
    }
    Ok(json!({ "mode": "floor", "latency": percentiles(latencies) }))
}

async fn run(args: Args) -> Result<Value, String> {
    if args.mode == "floor" {
        return floor(args.requests).await;
    }
    let token = session_token(args.addr, &args.path).await?;
    match args.mode.as_str() {
        "roundtrip" => {
            let mut ws = join(&args, &token, 0).await?;
            // Warm up, then measure.
            roundtrips(&mut ws, args.requests.min(1000), &args.event).await?;
            let (latencies, bytes) = roundtrips(&mut ws, args.requests, &args.event).await?;
            Ok(
                json!({ "mode": "roundtrip", "latency": percentiles(latencies), "reply_frame_bytes": bytes }),
            )
        }
        "busy" => {
            let deadline = Instant::now() + Duration::from_secs(args.seconds);
            let mut tasks = Vec::new();
            for i in 0..args.connections {
                let ws = join(&args, &token, i).await?;
                let event = args.event.clone();
                tasks.push(tokio::spawn(async move {
                    let mut ws = ws;
                    let mut latencies = Vec::new();
                    let mut r = 2u64;
                    while Instant::now() < deadline {
                        let start = Instant::now();
                        if ws.send(event_frame(r, &event)).await.is_err()
                            || reply(&mut ws).await.is_err()
                        {
                            break;
                        }
                        latencies.push(start.elapsed());
                        r += 1;
                    }
                    latencies
                }));
            }
            let started = Instant::now();
            let mut all = Vec::new();
            for task in tasks {
                all.extend(task.await.map_err(|e| e.to_string())?);
            }
            let elapsed = started.elapsed().as_secs_f64();
            Ok(json!({
                "mode": "busy",
                "connections": args.connections,
                "updates": all.len(),
                "updates_per_second": all.len() as f64 / elapsed,
                "latency": percentiles(all),
            }))
        }
        "idle" => {
            let pid = args.server_pid.ok_or("idle mode needs --server-pid")?;
            let before = rss_kib(pid).ok_or("cannot read the server's RSS")?;
            let mut sockets = Vec::with_capacity(args.connections);
            let started = Instant::now();
            for i in 0..args.connections {
                sockets.push(
                    join(&args, &token, i)
                        .await
                        .map_err(|e| format!("connection {i}: {e}"))?,
                );
                if started.elapsed() > Duration::from_secs(MAX_SECONDS) {
                    return Err(format!("only {i} joined within {MAX_SECONDS} s"));
                }
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
            let after = rss_kib(pid).ok_or("cannot read the server's RSS")?;
            // The server must still answer with all of them connected.
            let mut probe = join(&args, &token, args.connections).await?;
            let (latencies, _) = roundtrips(&mut probe, 200, &args.event).await?;
            Ok(json!({
                "mode": "idle",
                "connections": args.connections,
                "rss_before_kib": before,
                "rss_after_kib": after,
                "kib_per_view": (after.saturating_sub(before)) as f64 / args.connections as f64,
                "join_seconds": started.elapsed().as_secs_f64(),
                "probe_latency": percentiles(latencies),
            }))
        }
        other => Err(format!("unknown mode {other:?}: roundtrip, busy or idle")),
    }
}

#[tokio::main]
async fn main() {
    let result = match parse_args() {
        Ok(args) => run(args).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(figures) => println!("{figures}"),
        Err(error) => {
            eprintln!("loadgen: {error}");
            std::process::exit(1);
        }
    }
}
