//! Integration tests: the simulator started in-process, spoken to over real HTTP.

mod account;
mod chat;
mod faults;
mod gateway;
mod media;
mod video;

use std::time::Duration;

use nexhina_simulator::{SimConfig, Simulator};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::Value;

pub const KEY: &str = "sk-test";

/// A simulator with short delays, so the suite stays fast.
pub async fn start() -> Simulator {
    Simulator::start(SimConfig {
        api_key: KEY.into(),
        chunk_delay: Duration::from_millis(1),
        chunk_size: 8,
        video_step: Duration::from_millis(40),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

pub fn client() -> Client {
    Client::new()
}

pub fn get(sim: &Simulator, path: &str) -> RequestBuilder {
    client()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(KEY)
}

pub fn post(sim: &Simulator, path: &str, body: Value) -> RequestBuilder {
    client()
        .post(format!("{}{path}", sim.base_url()))
        .bearer_auth(KEY)
        .json(&body)
}

pub async fn json(response: Response) -> Value {
    response.json().await.expect("JSON body")
}

/// Everything a streaming body delivered, and whether it ended in an error.
pub async fn read_stream(response: Response) -> (Vec<Vec<u8>>, bool) {
    use futures_util::StreamExt;
    let mut pieces = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(piece) = stream.next().await {
        match piece {
            Ok(bytes) => pieces.push(bytes.to_vec()),
            Err(_) => return (pieces, true),
        }
    }
    (pieces, false)
}

/// The `data:` payloads of an SSE text (either spacing, either line end).
pub fn data_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim_end_matches('\r').strip_prefix("data:"))
        .map(|d| d.trim_start().to_owned())
        .collect()
}
