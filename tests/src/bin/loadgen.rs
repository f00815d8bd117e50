//! Load generator: speaks the live protocol to a running server and reports latency,
//! throughput, frame sizes and server memory. Bounded in connections and time, and
//! refuses any address outside 127.0.0.0/8.
//!
//! ```text
//! loadgen roundtrip --url http://127.0.0.1:4000/counter --requests 20000
//! loadgen busy      --url ... --connections 200 --seconds 10
//! loadgen idle      --url ... --connections 10000 --server-pid PID[,PID...] [--sources 8]
//! loadgen hold      --url ... --connections 16000 --seconds 110 [--sources 4 --first-source 5]
//! loadgen fanout    --url .../chat --connections 1000 --messages 100 --server-pid PID
//! loadgen fanout-nodes --url http://A/chat [--url http://B/chat] --connections 1000
//!                   --messages 100 --burst 200 [--server-pid PA,PB]
//! loadgen search-bytes --url .../search
//! loadgen floor     --requests 20000
//! loadgen floor-busy --connections 200 --seconds 10
//! ```
//!
//! `floor` and `floor-busy` need no server: they run `roundtrip` and `busy` against a plain
//! TCP echo on loopback in this process (same message sizes as a counter click), the
//! machine's floor for latency and ceiling for throughput.
//!
//! `fanout` joins N chat views, then sends one message at a time from another view and
//! times how long until the last of the N has its pushed update (the next message waits
//! for that); it reports delivery times, bytes per delivered update, server CPU per
//! delivered update (all threads, user + system) and RSS per chat view.
//!
//! `fanout-nodes` is the same across two nodes on one Redis: the N views alternate between
//! the first `--url` (node A, where the sender is) and the second (node B, the far node),
//! each view joining with its own node's page token. Per message it times the last view on
//! each node; then one sender sends `--burst` messages back to back (each after the reply
//! to the last) and it counts broadcasts per second until every view has the last one.
//! With one `--url` everything is on that node: the same run's single-node figures.
//!
//! Output is one JSON object on stdout (figures) so scripts can collect it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use liveview_core::testing;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
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
    /// The server's processes (several when it runs workers); RSS is their sum.
    server_pids: Vec<u32>,
    sources: u8,
    /// Source addresses are 127.0.0.(first_source + i % sources).
    first_source: u8,
    event: String,
    messages: usize,
    /// A second `--url`: the far node of `fanout-nodes`.
    far: Option<(SocketAddr, String)>,
    burst: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mode = it
        .next()
        .ok_or("usage: loadgen roundtrip|busy|idle --url URL [...]")?;
    let url = "http://127.0.0.1:4000/counter".to_string();
    let mut args = Args {
        mode,
        addr: "127.0.0.1:4000".parse().unwrap(),
        path: String::new(),
        connections: 1,
        seconds: 10,
        requests: 10_000,
        server_pids: Vec::new(),
        sources: 1,
        first_source: 1,
        event: "increment".into(),
        messages: 100,
        far: None,
        burst: 200,
    };
    let mut urls = Vec::new();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = || value.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--url" => urls.push(value.clone()),
            "--connections" => args.connections = number()? as usize,
            "--seconds" => args.seconds = number()?,
            "--requests" => args.requests = number()? as usize,
            "--server-pid" => {
                args.server_pids = value
                    .split(',')
                    .map(|p| p.trim().parse().map_err(|e| format!("{flag}: {e}")))
                    .collect::<Result<_, _>>()?;
            }
            "--sources" => args.sources = number()?.clamp(1, 250) as u8,
            "--first-source" => args.first_source = number()?.clamp(1, 250) as u8,
            "--event" => args.event = value.clone(),
            "--messages" => args.messages = number()? as usize,
            "--burst" => args.burst = number()? as usize,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if urls.len() > 2 {
        return Err("at most two --url (the second is fanout-nodes' far node)".into());
    }
    let mut targets = urls.iter().map(|u| target(u));
    if let Some(first) = targets.next() {
        (args.addr, args.path) = first?;
    } else {
        (args.addr, args.path) = target(&url)?;
    }
    args.far = targets.next().transpose()?;
    if args.connections > MAX_CONNECTIONS || args.seconds > MAX_SECONDS {
        return Err(format!(
            "bounded: at most {MAX_CONNECTIONS} connections and {MAX_SECONDS} s"
        ));
    }
    Ok(args)
}

/// An `http://127.x.y.z:PORT/path` URL's address and path; only loopback is allowed.
fn target(url: &str) -> Result<(SocketAddr, String), String> {
    let rest = url.strip_prefix("http://").ok_or("--url must be http://")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let addr: SocketAddr = authority.parse().map_err(|e| format!("--url host: {e}"))?;
    match addr.ip() {
        IpAddr::V4(ip) if ip.octets()[0] == 127 => {}
        _ => return Err("only loopback (127.0.0.0/8) targets are allowed".into()),
    }
    let path = if path.is_empty() { "/" } else { path };
    Ok((addr, path.into()))
}

/// The dead render, over a raw HTTP/1.1 request; returns the page's session token.
async fn session_token(addr: SocketAddr, path: &str) -> Result<String, String> {
    let page = http_get(addr, path).await?;
    testing::session_token(&page).ok_or_else(|| "the page has no data-phx-session".to_string())
}

/// A page, over a raw HTTP/1.1 request.
async fn http_get(addr: SocketAddr, path: &str) -> Result<String, String> {
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
    Ok(page)
}

/// Opens a socket from source address 127.0.0.(first_source + i % sources) and joins the
/// view.
async fn join(args: &Args, token: &str, i: usize) -> Result<Ws, String> {
    join_at(args, args.addr, &args.path, token, i).await
}

/// [`join`] on the server at `addr`, view `path`.
async fn join_at(
    args: &Args,
    addr: SocketAddr,
    path: &str,
    token: &str,
    i: usize,
) -> Result<Ws, String> {
    let last = (args.first_source as usize + i % args.sources as usize).min(254) as u8;
    let source = Ipv4Addr::new(127, 0, 0, last);
    let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .bind(SocketAddr::new(source.into(), 0))
        .map_err(|e| format!("bind {source}: {e}"))?;
    let stream = socket
        .connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let url = format!("ws://{addr}{path}?vsn=1");
    // tungstenite zero-fills `read_buffer_size` bytes before every read; its 128 KiB default
    // made that `memset` 40 % of this program's CPU, for replies of a few dozen bytes.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config))
        .await
        .map_err(|e| format!("upgrade: {e}"))?;
    let page_url = format!("http://{addr}{path}");
    let frame = testing::join_frame(1, token, &page_url);
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

/// One request and its reply on one connection, in flight.
type Exchange<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>>;

/// Every connection sends its next request as soon as the reply to the last one arrives,
/// for `seconds` counted from when all of them are connected.
async fn busy<C: Send + 'static>(
    connections: Vec<C>,
    seconds: u64,
    exchange: impl Fn(&mut C, u64) -> Exchange<'_> + Clone + Send + 'static,
) -> Result<Value, String> {
    let count = connections.len();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = connections
        .into_iter()
        .map(|mut connection| {
            let exchange = exchange.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut r = 2u64;
                while Instant::now() < deadline {
                    let start = Instant::now();
                    if exchange(&mut connection, r).await.is_err() {
                        break;
                    }
                    latencies.push(start.elapsed());
                    r += 1;
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.map_err(|e| e.to_string())?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(json!({
        "connections": count,
        "updates": all.len(),
        "updates_per_second": all.len() as f64 / elapsed,
        "latency": percentiles(all),
    }))
}

/// The resident memory of all the server's processes.
fn rss_kib(pids: &[u32]) -> Result<u64, String> {
    if pids.is_empty() {
        return Err("needs --server-pid".into());
    }
    pids.iter()
        .map(|&pid| process_rss_kib(pid).ok_or(format!("cannot read the RSS of process {pid}")))
        .sum()
}

fn process_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A plain TCP echo server on loopback that answers each read with up to 20 bytes (the
/// size of a counter click's reply). It runs on a runtime of its own with its own worker
/// threads, as a server process would, so wake-ups cross threads as they do in `roundtrip`.
async fn echo_server() -> Result<SocketAddr, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let server = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    std::thread::spawn(move || server.block_on(echo(listener)));
    Ok(addr)
}

async fn echo(listener: std::net::TcpListener) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            let _ = socket.set_nodelay(true);
            let mut buf = [0u8; 64];
            while let Ok(n) = socket.read(&mut buf).await {
                if n == 0 || socket.write_all(&buf[..20.min(n)]).await.is_err() {
                    break;
                }
            }
        });
    }
}

/// Sends a 30-byte request (the size of a click) and reads the 20-byte reply.
async fn echo_exchange(stream: &mut TcpStream) -> Result<(), String> {
    stream
        .write_all(&[b'x'; 30])
        .await
        .map_err(|e| e.to_string())?;
    let mut reply = [0u8; 20];
    stream
        .read_exact(&mut reply)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

async fn echo_client(addr: SocketAddr) -> Result<TcpStream, String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    Ok(stream)
}

/// Sequential round trips over a loopback TCP echo: the floor under `roundtrip`.
async fn floor(requests: usize) -> Result<Value, String> {
    let mut stream = echo_client(echo_server().await?).await?;
    let mut latencies = Vec::with_capacity(requests);
    for _ in 0..requests {
        let start = Instant::now();
        echo_exchange(&mut stream).await?;
        latencies.push(start.elapsed());
    }
    Ok(json!({ "mode": "floor", "latency": percentiles(latencies) }))
}

/// `busy` against a loopback TCP echo in this process: the ceiling over `busy`.
async fn floor_busy(connections: usize, seconds: u64) -> Result<Value, String> {
    let addr = echo_server().await?;
    let mut streams = Vec::with_capacity(connections);
    for _ in 0..connections {
        streams.push(echo_client(addr).await?);
    }
    let mut figures = busy(streams, seconds, |stream, _| {
        Box::pin(echo_exchange(stream))
    })
    .await?;
    figures["mode"] = "floor-busy".into();
    Ok(figures)
}

/// Joins `--connections` views and returns their sockets, bounded by `MAX_SECONDS`.
async fn hold_views(args: &Args, token: &str) -> Result<Vec<Ws>, String> {
    let mut views = Vec::with_capacity(args.connections);
    let started = Instant::now();
    for i in 0..args.connections {
        views.push(
            join(args, token, i)
                .await
                .map_err(|e| format!("connection {i}: {e}"))?,
        );
        if started.elapsed() > Duration::from_secs(MAX_SECONDS) {
            return Err(format!("only {i} joined within {MAX_SECONDS} s"));
        }
    }
    Ok(views)
}

/// Server CPU time (user + system, all threads) of the server's processes, in seconds.
fn cpu_seconds(pids: &[u32]) -> Result<f64, String> {
    let ticks_per_second = 100.0; // USER_HZ on Linux
    pids.iter()
        .map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
            // Fields after the command name (which may hold spaces) in parentheses.
            let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            let fields: Vec<&str> = after.split_whitespace().collect();
            let field = |i: usize| {
                fields
                    .get(i)
                    .and_then(|f| f.parse::<f64>().ok())
                    .unwrap_or(0.0)
            };
            // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
            Ok((field(11) + field(12)) / ticks_per_second)
        })
        .sum()
}

/// The reply to a search that replaces 20 results with 20 others, against the new
/// results' HTML as the dead render writes it.
async fn search_bytes(args: &Args, token: &str) -> Result<Value, String> {
    let mut ws = join(args, token, 0).await?;
    let mut frame_bytes = Vec::new();
    for (reference, query) in [(2, "san"), (3, "ber")] {
        let frame = json!([reference, "event", "search", {"query": query, "_target": "query"}]);
        ws.send(Message::text(frame.to_string()))
            .await
            .map_err(|e| e.to_string())?;
        frame_bytes.push(reply(&mut ws).await?);
    }
    // The same results as the dead render of the new URL writes them.
    let page = http_get(args.addr, &format!("{}?q=ber", args.path)).await?;
    let id = page.find("id=\"results\"").ok_or("no results list")?;
    let start = page[..id].rfind("<ul").ok_or("no results list")?;
    let end = start + page[start..].find("</ul>").ok_or("no end of the list")? + 5;
    let results = &page[start..end];
    let text: String = {
        let mut inside = false;
        results
            .chars()
            .filter(|&c| {
                let keep = !inside && c != '<';
                if c == '<' {
                    inside = true;
                } else if c == '>' {
                    inside = false;
                }
                keep
            })
            .collect()
    };
    Ok(json!({
        "mode": "search-bytes",
        "reply_frame_bytes": frame_bytes[1],
        "results_html_bytes": results.len(),
        "results_text_bytes": text.len(),
        "frame_over_html": frame_bytes[1] as f64 / results.len() as f64,
    }))
}

/// N chat views and one sender: each message's time until the last view has its update.
async fn fanout(args: &Args, token: &str) -> Result<Value, String> {
    let before = rss_kib(&args.server_pids)?;
    let started = Instant::now();
    let views = hold_views(args, token).await?;
    let join_seconds = started.elapsed().as_secs_f64();
    // Let the presence refreshes of the joins settle before measuring.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after_join = rss_kib(&args.server_pids)?;
    let (arrivals, mut arrived) = tokio::sync::mpsc::unbounded_channel::<(Instant, usize, bool)>();
    let marker = "fanout-";
    for mut view in views {
        let arrivals = arrivals.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) = view.next().await {
                if let Message::Text(text) = message {
                    let text = text.as_str();
                    if text.starts_with("[0,") {
                        let _ = arrivals.send((Instant::now(), text.len(), text.contains(marker)));
                    }
                }
            }
        });
    }
    let mut sender = join(args, token, args.connections).await?;
    let cpu_before = cpu_seconds(&args.server_pids)?;
    let mut delivery = Vec::with_capacity(args.messages);
    let mut bytes = 0usize;
    let mut delivered = 0usize;
    for i in 0..args.messages {
        let sent = Instant::now();
        let frame =
            json!([i + 2, "event", "send", {"name": "loadgen", "message": format!("{marker}{i}")}]);
        sender
            .send(Message::text(frame.to_string()))
            .await
            .map_err(|e| e.to_string())?;
        reply(&mut sender).await?;
        let mut received = 0;
        let mut last = sent;
        while received < args.connections {
            let (at, len, ours) = tokio::time::timeout(Duration::from_secs(30), arrived.recv())
                .await
                .map_err(|_| {
                    format!(
                        "message {i}: only {received} of {} views updated in 30 s",
                        args.connections
                    )
                })?
                .ok_or("the views' readers ended")?;
            if ours {
                received += 1;
                bytes += len;
                last = last.max(at);
            }
        }
        delivered += received;
        delivery.push(last - sent);
    }
    let cpu = cpu_seconds(&args.server_pids)? - cpu_before;
    let after_messages = rss_kib(&args.server_pids)?;
    Ok(json!({
        "mode": "fanout",
        "connections": args.connections,
        "messages": args.messages,
        "join_seconds": join_seconds,
        "last_view_updated": percentiles(delivery),
        "bytes_per_delivered_update": bytes as f64 / delivered as f64,
        "server_cpu_us_per_delivered_update": cpu * 1e6 / delivered as f64,
        "rss_before_kib": before,
        "rss_after_join_kib": after_join,
        "rss_after_messages_kib": after_messages,
        "kib_per_chat_view": after_join.saturating_sub(before) as f64 / args.connections as f64,
        "kib_per_chat_view_after_messages": after_messages.saturating_sub(before) as f64 / args.connections as f64,
    }))
}

/// The highest `fanout-<n>` marker in a pushed frame, if any.
fn marker_index(text: &str) -> Option<usize> {
    text.match_indices(MARKER)
        .filter_map(|(at, _)| {
            let digits: String = text[at + MARKER.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .max()
}

const MARKER: &str = "fanout-";

/// A pushed update that carried a message: when, on which view, its highest marker, bytes.
type Arrival = (Instant, usize, usize, usize);

/// Sends message `n` (`fanout-<n>`) from `sender` and waits for the reply.
async fn send_marked(sender: &mut Ws, n: usize) -> Result<(), String> {
    let frame =
        json!([n + 2, "event", "send", {"name": "loadgen", "message": format!("{MARKER}{n}")}]);
    sender
        .send(Message::text(frame.to_string()))
        .await
        .map_err(|e| e.to_string())?;
    reply(sender).await.map(drop)
}

/// N chat views split over two nodes (or all on one), one sender on the first: the time
/// until the last view on each node has each message, then broadcasts per second.
async fn fanout_nodes(args: &Args) -> Result<Value, String> {
    let near = (args.addr, args.path.clone());
    let nodes: Vec<(SocketAddr, String)> = std::iter::once(near.clone())
        .chain(args.far.clone())
        .collect();
    // Each view joins with a page rendered by its own node, as a browser's would.
    let mut tokens = Vec::new();
    for (addr, path) in &nodes {
        tokens.push(session_token(*addr, path).await?);
    }
    let node_of = |i: usize| i % nodes.len();
    let started = Instant::now();
    let mut views = Vec::with_capacity(args.connections);
    for i in 0..args.connections {
        let (addr, path) = &nodes[node_of(i)];
        views.push(
            join_at(args, *addr, path, &tokens[node_of(i)], i)
                .await
                .map_err(|e| format!("connection {i}: {e}"))?,
        );
        if started.elapsed() > Duration::from_secs(MAX_SECONDS) {
            return Err(format!("only {i} joined within {MAX_SECONDS} s"));
        }
    }
    let join_seconds = started.elapsed().as_secs_f64();
    // Let the presence of the joins cross the nodes and the online lists refresh (up to
    // 250 ms + 200 µs a person after the last join) before measuring.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (arrivals, mut arrived) = tokio::sync::mpsc::unbounded_channel::<Arrival>();
    for (i, mut view) in views.into_iter().enumerate() {
        let arrivals = arrivals.clone();
        tokio::spawn(async move {
            // Heartbeats as a browser sends them: a 10,000-view run lasts longer than the
            // 60 s after which the server closes a silent socket.
            let mut heartbeat = tokio::time::interval(Duration::from_secs(20));
            let mut reference = 1_000u64;
            loop {
                tokio::select! {
                    message = view.next() => match message {
                        Some(Ok(Message::Text(text))) => {
                            let text = text.as_str();
                            if let (true, Some(n)) = (text.starts_with("[0,"), marker_index(text)) {
                                let _ = arrivals.send((Instant::now(), i, n, text.len()));
                            }
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    },
                    _ = heartbeat.tick() => {
                        reference += 1;
                        let frame = Message::text(format!("[{reference},\"hb\"]"));
                        if view.send(frame).await.is_err() {
                            break;
                        }
                    }
                }
            }
        });
    }
    let mut sender = join_at(args, near.0, &near.1, &tokens[0], args.connections).await?;
    let cpu_before = if args.server_pids.is_empty() {
        None
    } else {
        Some(cpu_seconds(&args.server_pids)?)
    };
    // Latency: one message at a time, each after every view has the last.
    let mut last_on = vec![Vec::with_capacity(args.messages); nodes.len()];
    let mut last_any = Vec::with_capacity(args.messages);
    let mut bytes = 0usize;
    for n in 0..args.messages {
        let sent = Instant::now();
        send_marked(&mut sender, n).await?;
        let mut received = 0;
        let mut last = vec![sent; nodes.len()];
        while received < args.connections {
            let (at, view, index, len) =
                tokio::time::timeout(Duration::from_secs(30), arrived.recv())
                    .await
                    .map_err(|_| {
                        format!(
                            "message {n}: only {received} of {} views updated in 30 s",
                            args.connections
                        )
                    })?
                    .ok_or("the views' readers ended")?;
            if index == n {
                received += 1;
                bytes += len;
                last[node_of(view)] = last[node_of(view)].max(at);
            }
        }
        for (node, at) in last.iter().enumerate() {
            last_on[node].push(*at - sent);
        }
        last_any.push(*last.iter().max().unwrap_or(&sent) - sent);
    }
    let delivered = args.messages * args.connections;
    let cpu_us_per_update = match cpu_before {
        Some(before) => json!((cpu_seconds(&args.server_pids)? - before) * 1e6 / delivered as f64),
        None => Value::Null,
    };
    // Throughput: `burst` messages back to back; done when every view has the last one.
    let first = args.messages;
    let last_marker = first + args.burst.saturating_sub(1);
    let burst_started = Instant::now();
    let mut seen = vec![false; args.connections];
    let mut done = 0;
    let sending = async {
        for n in first..=last_marker {
            send_marked(&mut sender, n).await?;
        }
        Ok::<Instant, String>(Instant::now())
    };
    let waiting = async {
        let deadline = burst_started + Duration::from_secs(MAX_SECONDS);
        while done < args.connections {
            let (_, view, index, _) = tokio::time::timeout_at(deadline.into(), arrived.recv())
                .await
                .map_err(|_| {
                    format!(
                        "burst: {done} of {} views had the last message in {MAX_SECONDS} s",
                        args.connections
                    )
                })?
                .ok_or("the views' readers ended")?;
            if index >= last_marker && !seen[view] {
                seen[view] = true;
                done += 1;
            }
        }
        Ok::<Instant, String>(Instant::now())
    };
    let (sent_all, all_had) = tokio::try_join!(sending, waiting)?;
    let burst_seconds = (all_had - burst_started).as_secs_f64();
    let mut figures = json!({
        "mode": "fanout-nodes",
        "nodes": nodes.len(),
        "connections": args.connections,
        "messages": args.messages,
        "join_seconds": join_seconds,
        "last_view_updated": percentiles(last_any),
        "bytes_per_delivered_update": bytes as f64 / delivered as f64,
        "server_cpu_us_per_delivered_update": cpu_us_per_update,
        "burst": args.burst,
        "burst_send_seconds": (sent_all - burst_started).as_secs_f64(),
        "burst_all_views_seconds": burst_seconds,
        "broadcasts_per_second": args.burst as f64 / burst_seconds,
    });
    let names = ["near", "far"];
    for (node, samples) in last_on.into_iter().enumerate() {
        figures[format!("last_{}_view_updated", names[node])] = percentiles(samples);
    }
    Ok(figures)
}

async fn run(args: Args) -> Result<Value, String> {
    match args.mode.as_str() {
        "floor" => return floor(args.requests).await,
        "floor-busy" => return floor_busy(args.connections, args.seconds).await,
        "fanout-nodes" => return fanout_nodes(&args).await,
        _ => {}
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
            let mut sockets = Vec::with_capacity(args.connections);
            for i in 0..args.connections {
                sockets.push(join(&args, &token, i).await?);
            }
            let event = args.event.clone();
            let mut figures = busy(sockets, args.seconds, move |ws, r| {
                let frame = event_frame(r, &event);
                Box::pin(async move {
                    ws.send(frame).await.map_err(|e| e.to_string())?;
                    reply(ws).await.map(drop)
                })
            })
            .await?;
            figures["mode"] = "busy".into();
            Ok(figures)
        }
        "idle" => {
            let before = rss_kib(&args.server_pids)?;
            let started = Instant::now();
            let _views = hold_views(&args, &token).await?;
            let join_seconds = started.elapsed().as_secs_f64();
            tokio::time::sleep(Duration::from_secs(2)).await;
            let after = rss_kib(&args.server_pids)?;
            // The server must still answer with all of them connected.
            let mut probe = join(&args, &token, args.connections).await?;
            let (latencies, _) = roundtrips(&mut probe, 200, &args.event).await?;
            Ok(json!({
                "mode": "idle",
                "connections": args.connections,
                "rss_before_kib": before,
                "rss_after_kib": after,
                "kib_per_view": (after.saturating_sub(before)) as f64 / args.connections as f64,
                "join_seconds": join_seconds,
                "probe_latency": percentiles(latencies),
            }))
        }
        "hold" => {
            let started = Instant::now();
            let views = hold_views(&args, &token).await?;
            // Say so at once: a script waits for this line from every holder before it
            // measures the server.
            println!(
                "{}",
                json!({ "mode": "hold", "connections": views.len(), "join_seconds": started.elapsed().as_secs_f64() })
            );
            tokio::time::sleep_until((started + Duration::from_secs(args.seconds)).into()).await;
            Ok(Value::Null)
        }
        "fanout" => fanout(&args, &token).await,
        "search-bytes" => search_bytes(&args, &token).await,
        other => Err(format!(
            "unknown mode {other:?}: roundtrip, busy, idle, hold, fanout, fanout-nodes, search-bytes, floor or floor-busy"
        )),
    }
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let result = match parse_args() {
        // On a worker thread, not the main one: a task on the main thread is woken by a
        // worker for every reply, a cross-thread wake-up that would add tens of
        // microseconds to each round trip.
        Ok(args) => runtime
            .block_on(runtime.spawn(run(args)))
            .unwrap_or_else(|e| Err(e.to_string())),
        Err(e) => Err(e),
    };
    match result {
        Ok(Value::Null) => {}
        Ok(figures) => println!("{figures}"),
        Err(error) => {
            eprintln!("loadgen: {error}");
            std::process::exit(1);
        }
    }
}
