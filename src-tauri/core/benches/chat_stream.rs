//! Chat streaming benchmarks against the simulator on loopback, `chunk_delay` 0 (events are
//! written as fast as the socket takes them):
//!
//! 1. throughput: a full chat turn through the core (`Studio::send_message` → `task.await`,
//!    SQLite writes included) versus `curl -N` reading the same request;
//! 2. client-added latency to the first token: the core versus a raw HTTP/1.1 socket.
//!
//! Prints figures only; nothing here asserts on time.
//!
//!     cargo bench -p nexhina-core --bench chat_stream

mod common;

use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use common::{machine, median_ms, pct_ms};
use futures_util::StreamExt;
use nexhina_core::platform::chat::{self, ChatChunk, ChatMessage};
use nexhina_core::platform::{http_client, BaseUrl, HttpOptions, PlatformClient};
use nexhina_core::secrets::KeyStore;
use nexhina_core::types::{ChatParams, MessageStatus, Role, SendRequest, TurnEvent};
use nexhina_core::{DemoPlatform, Studio, StudioOptions, TurnSink};
use nexhina_simulator::{SimConfig, Simulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const KEY: &str = "sk-demo";
const MODEL: &str = "gpt-4o-mini";
/// Long enough for the simulator's longest answer: the 120-character echo, and "code" adds
/// the Rust block. The simulator has no knob for longer replies (about 600 characters).
const PROMPT: &str = "Please write some Rust code that reads a long CSV file of harbour arrivals, groups the \
                      boats by day and by port, and prints a short summary table for each week of the season.";

const THROUGHPUT_WARMUP: usize = 5;
const THROUGHPUT_RUNS: usize = 60;
/// Paragraphs of the long reply the throughput runs stream (queued verbatim at the simulator).
const LONG_REPLY_PARAGRAPHS: usize = 60;

/// A long answer of the kind models write: prose, a list and a code block, repeated. About
/// 24,000 characters, 6,000 tokens, so per-turn costs do not hide the streaming rate.
fn long_reply() -> String {
    let block = "The harbour log groups arrivals by day and port. Each boat has a name, a length, \
                 and the time it tied up; the summary counts boats and sums their lengths.\n\n\
                 - parse each row, skipping the header and blank lines\n- group by (week, port)\n\
                 - print one table per week, ports sorted by arrivals\n\n\
                 ```rust\nfor (week, ports) in &summary {\n    println!(\"week {week}: {} ports\", ports.len());\n}\n```\n\n";
    block.repeat(LONG_REPLY_PARAGRAPHS)
}
const LATENCY_WARMUP: usize = 20;
const LATENCY_RUNS: usize = 200;

fn main() {
    // Two workers, like the machine: the simulator, the core and curl share them.
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async { tokio::spawn(run()).await.unwrap() });
}

/// How many samples took longer than 20 ms (stalls, not steady-state cost).
fn stalls(samples: &[Duration]) -> String {
    let n = samples.iter().filter(|d| **d > Duration::from_millis(20)).count();
    format!("{n}/{}", samples.len())
}

/// Median of the runs that did not stall (≤ 20 ms): a stall is the machine's scheduler (the
/// simulator, the client and curl share two cores), not steady-state cost.
fn calm_median(samples: &[Duration]) -> f64 {
    let calm: Vec<Duration> = samples.iter().copied().filter(|d| *d <= Duration::from_millis(20)).collect();
    if calm.is_empty() {
        f64::NAN
    } else {
        median_ms(&calm)
    }
}

async fn run() {
    let sim = Simulator::start(SimConfig { chunk_delay: Duration::ZERO, ..SimConfig::default() }).await.unwrap();
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let studio = Arc::new(
        Studio::open(
            StudioOptions {
                data_dir: dir.path().to_path_buf(),
                demo: Some(DemoPlatform { base_url: base.clone(), api_key: KEY.into() }),
                ..StudioOptions::default()
            },
            KeyStore::new("nexhina-studio-bench", None),
        )
        .unwrap(),
    );
    // The very body the core sends for a new conversation with this one message.
    let body = chat::request_body(
        MODEL,
        &[ChatMessage::text(Role::User, PROMPT)],
        &ChatParams::default(),
    );
    let body_text = body.to_string();

    println!("chat_stream bench — {}", machine());
    println!("simulator on loopback, chunk_delay 0, chunk_size 4 (default), model {MODEL}");

    throughput(&sim, &studio, &base, &body_text).await;
    println!();
    latency(&sim, &studio, &base, &body, &body_text).await;
    sim.shutdown().await;
    println!();
    paced_first_delta(&body_text).await;
}

// ---------------------------------------------------------------------------------------
// 1. Throughput

struct Turn {
    total: Duration,
    /// `send_message` itself: the SQLite writes and reads before the request leaves.
    prepared: Duration,
    /// First non-empty `TurnEvent::Delta`, from the call to `send_message`.
    first_delta: Option<Duration>,
    reply_chars: usize,
}

async fn studio_turn(studio: &Arc<Studio>) -> Turn {
    let first: Arc<OnceLock<Instant>> = Arc::new(OnceLock::new());
    let seen = first.clone();
    let sink: TurnSink = Arc::new(move |event| {
        if let TurnEvent::Delta { content, .. } = &event {
            if !content.is_empty() {
                let _ = seen.set(Instant::now());
            }
        }
    });
    let request = SendRequest { conversation_id: None, text: PROMPT.into(), attachments: Vec::new(), model: Some(MODEL.into()) };
    let t0 = Instant::now();
    let (started, task) = studio.send_message(request, sink).unwrap();
    let prepared = t0.elapsed();
    let outcome = task.await;
    let total = t0.elapsed();
    assert_eq!(outcome.status, MessageStatus::Complete, "{:?}", outcome.error);
    let reply = studio.library().message(started.reply_id).unwrap();
    Turn { total, prepared, first_delta: first.get().map(|t| t.duration_since(t0)), reply_chars: reply.content.chars().count() }
}

/// `curl -sN ... -d <body> <base>/v1/chat/completions`, body to /dev/null. Returns the wall
/// time of the process (spawn to exit) and curl's own `time_total` for the transfer.
async fn curl_once(url: &str, body: &str) -> (Duration, Duration) {
    let (url, body) = (url.to_string(), body.to_string());
    tokio::task::spawn_blocking(move || {
        let t0 = Instant::now();
        let out = Command::new("curl")
            .args(["-sN", "-H", &format!("Authorization: Bearer {KEY}"), "-H", "Content-Type: application/json"])
            .args(["-d", &body, &url, "-o", "/dev/null", "-w", "%{http_code} %{time_total}"])
            .output()
            .expect("curl runs");
        let wall = t0.elapsed();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let mut parts = text.split_whitespace();
        assert_eq!(parts.next(), Some("200"), "curl: {text}");
        let total: f64 = parts.next().and_then(|s| s.parse().ok()).expect("curl's time_total");
        (wall, Duration::from_secs_f64(total))
    })
    .await
    .unwrap()
}

/// The content characters of the SSE reply curl receives, to check both paths get one reply.
fn curl_content_chars(url: &str, body: &str) -> (usize, usize) {
    let out = Command::new("curl")
        .args(["-sN", "-H", &format!("Authorization: Bearer {KEY}"), "-H", "Content-Type: application/json", "-d", body, url])
        .output()
        .expect("curl runs");
    let text = String::from_utf8(out.stdout).unwrap();
    let (mut chars, mut events) = (0, 0);
    for line in text.lines().filter_map(|l| l.strip_prefix("data: ")) {
        events += 1;
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
            if let Some(c) = v.pointer("/choices/0/delta/content").and_then(|c| c.as_str()) {
                chars += c.chars().count();
            }
        }
    }
    (chars, events)
}

async fn throughput(sim: &Simulator, studio: &Arc<Studio>, base: &str, body: &str) {
    let url = format!("{base}/v1/chat/completions");
    let reply = long_reply();
    // Every request of this section answers the long reply.
    let queue = |n: usize| (0..n).for_each(|_| sim.push_reply(reply.clone()));
    queue(1);
    let (curl_chars, events) = {
        let (url, body) = (url.clone(), body.to_string());
        tokio::task::spawn_blocking(move || curl_content_chars(&url, &body)).await.unwrap()
    };
    queue(2 * THROUGHPUT_WARMUP);
    for _ in 0..THROUGHPUT_WARMUP {
        studio_turn(studio).await;
        curl_once(&url, body).await;
    }
    let (mut core, mut wall, mut transfer) = (Vec::new(), Vec::new(), Vec::new());
    let mut chars = 0;
    for i in 0..THROUGHPUT_RUNS {
        queue(2);
        // Alternate who goes first so neither always runs right after the other.
        if i % 2 == 0 {
            let t = studio_turn(studio).await;
            chars = t.reply_chars;
            core.push(t.total);
            let (w, c) = curl_once(&url, body).await;
            wall.push(w);
            transfer.push(c);
        } else {
            let (w, c) = curl_once(&url, body).await;
            wall.push(w);
            transfer.push(c);
            let t = studio_turn(studio).await;
            chars = t.reply_chars;
            core.push(t.total);
        }
        if i % 20 == 19 {
            sim.clear();
        }
    }
    assert_eq!(chars, curl_chars, "both paths read the same reply");
    let tokens = chars as f64 / 4.0;
    let tps = |d: f64| tokens / (d / 1e3);
    println!(
        "1. stream throughput — reply {chars} chars ≈ {tokens:.0} tokens (tokens = chars/4), {events} data events; {THROUGHPUT_RUNS} runs each, interleaved"
    );
    println!("   {:<52} {:>8} {:>8} {:>11}", "path", "p50 ms", "p95 ms", "tok/s @p50");
    let rows: [(&str, &Vec<Duration>); 3] = [
        ("core: Studio::send_message → task.await (SQLite)", &core),
        ("curl -N: process wall time (spawn → exit)", &wall),
        ("curl -N: its own time_total (transfer only)", &transfer),
    ];
    for (name, samples) in rows {
        let p50 = median_ms(samples);
        println!("   {:<52} {:>8.2} {:>8.2} {:>11.0}", name, p50, pct_ms(samples, 95.0), tps(p50));
    }
    let core_p50 = median_ms(&core);
    println!(
        "   ratio core/curl (tok/s at the medians): {:.2}× vs curl wall, {:.2}× vs curl time_total (target ≥ 0.8×)",
        median_ms(&wall) / core_p50,
        median_ms(&transfer) / core_p50,
    );
}

// ---------------------------------------------------------------------------------------
// 2. Latency to the first token

/// One keep-alive HTTP/1.1 connection written and read by hand.
struct RawHttp {
    stream: TcpStream,
    request: Vec<u8>,
    buf: Vec<u8>,
}

impl RawHttp {
    async fn connect(base: &str, body: &str) -> RawHttp {
        let host = base.strip_prefix("http://").unwrap();
        let stream = TcpStream::connect(host).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let request = format!(
            "POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {KEY}\r\n\
             Content-Type: application/json\r\nAccept: */*\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes();
        RawHttp { stream, request, buf: Vec::with_capacity(64 * 1024) }
    }

    /// Sends the request; returns the time to the first byte of content in a `data:` event
    /// (the first `"content":"` that is not empty) and to the end of the chunked body.
    async fn exchange(&mut self) -> (Duration, Duration) {
        self.buf.clear();
        let mut chunk = [0u8; 64 * 1024];
        let t0 = Instant::now();
        self.stream.write_all(&self.request).await.unwrap();
        let mut first = None;
        let mut scanned: usize = 0;
        loop {
            let n = self.stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the simulator closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
            if first.is_none() {
                if has_content(&self.buf[scanned.saturating_sub(16)..]) {
                    first = Some(t0.elapsed());
                }
                scanned = self.buf.len();
            }
            if self.buf.ends_with(b"\r\n0\r\n\r\n") {
                break;
            }
        }
        let total = t0.elapsed();
        assert!(self.buf.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&self.buf[..80.min(self.buf.len())]));
        (first.expect("a content event"), total)
    }
}

fn has_content(bytes: &[u8]) -> bool {
    const PAT: &[u8] = b"\"content\":\"";
    bytes.windows(PAT.len() + 1).any(|w| &w[..PAT.len()] == PAT && w[PAT.len()] != b'"')
}

/// The core's platform layer alone: `stream_chat` until the first `ChatChunk::Content`.
async fn platform_exchange(client: &PlatformClient, body: &serde_json::Value) -> (Duration, Duration) {
    let body = body.clone();
    let t0 = Instant::now();
    let (stream, _) = chat::stream_chat(client, body).await.unwrap();
    let mut stream = std::pin::pin!(stream);
    let mut first = None;
    while let Some(item) = stream.next().await {
        if let ChatChunk::Content(text) = item.unwrap() {
            if first.is_none() && !text.is_empty() {
                first = Some(t0.elapsed());
            }
        }
    }
    (first.expect("content"), t0.elapsed())
}

async fn latency(sim: &Simulator, studio: &Arc<Studio>, base: &str, body: &serde_json::Value, body_text: &str) {
    let mut raw = RawHttp::connect(base, body_text).await;
    let client = PlatformClient::new(
        http_client(&HttpOptions::default()).unwrap(),
        BaseUrl::parse(base).unwrap(),
        KEY.to_string(),
    );
    for _ in 0..LATENCY_WARMUP {
        raw.exchange().await;
        platform_exchange(&client, body).await;
        studio_turn(studio).await;
    }
    let (mut raw_first, mut raw_total) = (Vec::new(), Vec::new());
    let (mut plat_first, mut plat_total) = (Vec::new(), Vec::new());
    let (mut studio_first, mut studio_total, mut studio_prepared) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..LATENCY_RUNS {
        // Rotate the order: each path goes first a third of the time.
        for k in 0..3 {
            match (i + k) % 3 {
                0 => {
                    let (f, t) = raw.exchange().await;
                    raw_first.push(f);
                    raw_total.push(t);
                }
                1 => {
                    let (f, t) = platform_exchange(&client, body).await;
                    plat_first.push(f);
                    plat_total.push(t);
                }
                _ => {
                    let turn = studio_turn(studio).await;
                    studio_first.push(turn.first_delta.expect("a delta"));
                    studio_total.push(turn.total);
                    studio_prepared.push(turn.prepared);
                }
            }
        }
        if i % 50 == 49 {
            sim.clear();
        }
    }
    let raw_calm = calm_median(&raw_first);
    let delta = |a: &[Duration]| calm_median(a) - raw_calm;
    println!("2. latency to first token — send → first content; {LATENCY_RUNS} runs each, interleaved, keep-alive connections");
    println!(
        "   {:<52} {:>8} {:>8} {:>11} {:>13} {:>8} {:>9}",
        "path", "p50 ms", "p95 ms", "Δ vs raw", "whole reply", ">20 ms", "calm p50"
    );
    println!(
        "   {:<52} {:>8.3} {:>8.3} {:>11} {:>10.3} ms {:>8} {:>9.3}",
        "raw tokio TcpStream, HTTP/1.1 by hand: first byte",
        median_ms(&raw_first),
        pct_ms(&raw_first, 95.0),
        "—",
        median_ms(&raw_total),
        stalls(&raw_first),
        calm_median(&raw_first)
    );
    println!(
        "   {:<52} {:>8.3} {:>8.3} {:>+8.3} ms {:>10.3} ms {:>8} {:>9.3}",
        "core platform::chat::stream_chat: first Content",
        median_ms(&plat_first),
        pct_ms(&plat_first, 95.0),
        delta(&plat_first),
        median_ms(&plat_total),
        stalls(&plat_first),
        calm_median(&plat_first)
    );
    println!(
        "   {:<52} {:>8.3} {:>8.3} {:>+8.3} ms {:>10.3} ms {:>8} {:>9.3}",
        "core Studio::send_message: first TurnEvent::Delta",
        median_ms(&studio_first),
        pct_ms(&studio_first, 95.0),
        delta(&studio_first),
        median_ms(&studio_total),
        stalls(&studio_first),
        calm_median(&studio_first)
    );
    println!("   Δ = calm p50 − raw calm p50 (target < 1 ms); \"whole reply\" = p50 time to the end of the stream/turn");
    println!(
        "   of the Studio's time, send_message() itself (SQLite: insert_turn, conversation, history) takes p50 {:.3} ms",
        median_ms(&studio_prepared)
    );
    println!("   >20 ms = stalled runs (scheduling on a shared 2-core machine); calm p50 = median of the others");
}

// ---------------------------------------------------------------------------------------
// 2b. The same first token with the demo's pacing (15 ms between events)

const PACED_RUNS: usize = 30;

/// Raw socket: a fresh connection per run, read until the first content byte, then dropped.
async fn raw_paced_first(base: &str, body: &str) -> Duration {
    let mut raw = RawHttp::connect(base, body).await;
    let mut chunk = [0u8; 16 * 1024];
    let t0 = Instant::now();
    raw.stream.write_all(&raw.request).await.unwrap();
    loop {
        let n = raw.stream.read(&mut chunk).await.unwrap();
        assert!(n > 0);
        raw.buf.extend_from_slice(&chunk[..n]);
        if has_content(&raw.buf) {
            return t0.elapsed();
        }
    }
}

/// Studio: send, wait for the first Delta, then Stop the turn.
async fn studio_paced_first(studio: &Arc<Studio>) -> Duration {
    let (tx, rx) = tokio::sync::oneshot::channel::<Instant>();
    let tx = std::sync::Mutex::new(Some(tx));
    let sink: TurnSink = Arc::new(move |event| {
        if let TurnEvent::Delta { content, .. } = &event {
            if !content.is_empty() {
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(Instant::now());
                }
            }
        }
    });
    let request = SendRequest { conversation_id: None, text: PROMPT.into(), attachments: Vec::new(), model: Some(MODEL.into()) };
    let t0 = Instant::now();
    let (started, task) = studio.send_message(request, sink).unwrap();
    let handle = tokio::spawn(task);
    let first = rx.await.expect("a delta").duration_since(t0);
    studio.stop_reply(started.reply_id).unwrap();
    handle.await.unwrap();
    first
}

async fn paced_first_delta(body: &str) {
    let sim = Simulator::start(SimConfig { chunk_delay: Duration::from_millis(15), ..SimConfig::default() }).await.unwrap();
    let base = sim.base_url();
    let dir = tempfile::tempdir().unwrap();
    let studio = Arc::new(
        Studio::open(
            StudioOptions {
                data_dir: dir.path().to_path_buf(),
                demo: Some(DemoPlatform { base_url: base.clone(), api_key: KEY.into() }),
                ..StudioOptions::default()
            },
            KeyStore::new("nexhina-studio-bench", None),
        )
        .unwrap(),
    );
    for _ in 0..3 {
        raw_paced_first(&base, body).await;
        studio_paced_first(&studio).await;
    }
    let (mut raw, mut core) = (Vec::new(), Vec::new());
    for _ in 0..PACED_RUNS {
        raw.push(raw_paced_first(&base, body).await);
        core.push(studio_paced_first(&studio).await);
    }
    println!("2b. first token with the demo's pacing (chunk_delay 15 ms; content starts with the 3rd event), {PACED_RUNS} runs each");
    println!("   {:<52} {:>8} {:>8}", "path", "p50 ms", "p95 ms");
    println!("   {:<52} {:>8.2} {:>8.2}", "raw tokio TcpStream: first content byte", median_ms(&raw), pct_ms(&raw, 95.0));
    println!("   {:<52} {:>8.2} {:>8.2}", "core Studio::send_message: first TurnEvent::Delta", median_ms(&core), pct_ms(&core, 95.0));
    println!("   Δ p50 {:+.2} ms: the first Delta waits for the Studio's 40 ms UI tick", median_ms(&core) - median_ms(&raw));
    sim.shutdown().await;
}
