//! A stand-in for the Nexhina gateway (new-api), served over real HTTP on 127.0.0.1.
//!
//! It speaks the wire contract of `shared/API.md`, gateway quirks included (usage chunk
//! before `[DONE]` by default, 500 for validation errors, empty 429 bodies, wrapped video
//! polls ...), and injects faults on demand so client code can be tested against the
//! failures the real platform produces. Three users rely on it: the client's integration
//! tests, the desktop app's "demo platform", and end-to-end scripts through the binary.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use nexhina_simulator::{Fault, FaultRule, SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::default()).await?;
//! let base = sim.base_url(); // "http://127.0.0.1:PORT", relay calls go to {base}/v1/...
//! sim.push_fault(FaultRule { path_prefix: "/v1/chat".into(), fault: "429:empty".parse().unwrap(), times: 1 });
//! # let _ = (base, Fault::Malformed);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

// Handlers and their helpers fail with a finished HTTP response (`Result<_, Response>`),
// the usual axum idiom; boxing it to please this lint would only add noise off any hot path.
#![allow(clippy::result_large_err)]

mod account;
mod audio;
mod balance;
mod body;
mod chat;
mod control;
mod embeddings;
mod faults;
mod form;
mod gateway;
mod images;
mod media;
mod models;
mod moderation;
mod rerank;
mod responses;
mod state;
mod text;
mod video;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;
use serde::{Serialize, Serializer};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::{Fault, FaultRule, ParseFaultError};
use state::SimState;

/// How the simulated platform behaves. Every field has a default suited to the demo.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The only key accepted as `Authorization: Bearer <key>` (a leading `sk-` is optional
    /// on either side, as in new-api).
    pub api_key: String,
    /// Pause between two SSE events.
    pub chunk_delay: Duration,
    /// Characters of content carried by one streamed delta.
    pub chunk_size: usize,
    /// Time a video task needs per 10 % of progress (zero finishes tasks at once).
    pub video_step: Duration,
    /// Reported by `/api/status` and mentioned in chat replies.
    pub system_name: String,
    /// The personal access token the account API accepts (with `New-Api-User: user_id`).
    pub access_token: String,
    /// The id of the one user, owner of every key.
    pub user_id: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            api_key: "sk-demo".to_owned(),
            chunk_delay: Duration::from_millis(15),
            chunk_size: 4,
            video_step: Duration::from_millis(300),
            system_name: "Nexhina Demo".to_owned(),
            access_token: "demo-access-token".to_owned(),
            user_id: 1,
        }
    }
}

/// One request as the simulator received it (before any fault was applied).
///
/// `body` serializes as a UTF-8 string, invalid sequences replaced by U+FFFD (lossy):
/// JSON and multipart text fields stay readable, binary uploads are not recoverable from
/// the JSON form (use [`Simulator::requests`] in-process for the exact bytes).
#[derive(Clone, Debug, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    /// Path including the query string, e.g. `/v1/models?x=1`.
    pub path: String,
    /// Header names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    #[serde(serialize_with = "utf8_lossy")]
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The value of the first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, when it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

fn utf8_lossy<S: Serializer>(body: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&String::from_utf8_lossy(body))
}

/// A running simulated platform. Dropping it stops the server too; `shutdown` does it
/// gracefully.
pub struct Simulator {
    state: Arc<SimState>,
    base_url: String,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Starts on a free port of 127.0.0.1.
    pub async fn start(config: SimConfig) -> std::io::Result<Simulator> {
        Self::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
    }

    /// Starts on the given address (port 0 picks a free one).
    pub async fn start_on(addr: SocketAddr, config: SimConfig) -> std::io::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        // A wildcard bind is still reached through loopback by the URLs we hand out.
        let host = if local.ip().is_unspecified() {
            SocketAddr::from((Ipv4Addr::LOCALHOST, local.port()))
        } else {
            local
        };
        let base_url = format!("http://{host}");
        let state = Arc::new(SimState::new(config, base_url.clone()));
        let app = router(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            // Real gateways answer with Nagle off; with it on, a reused connection waits for a
            // delayed ACK (~40 ms) between a response's headers and its body.
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
                let _ = tcp.set_nodelay(true);
            });
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            // An accept error ends the server; there is nobody to report it to but the log.
            if let Err(error) = serve.await {
                eprintln!("nexhina-simulator: server stopped: {error}");
            }
        });
        Ok(Simulator {
            state,
            base_url,
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// `http://127.0.0.1:PORT`, without `/v1`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Every request received so far, in order (the `/__sim/*` control calls excluded).
    /// The most recent 2000 are kept, so a long demo session does not grow without end.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Queues a fault for the next `times` requests whose path starts with `path_prefix`
    /// (`times == 0`: every matching request until [`Simulator::clear`]).
    pub fn push_fault(&self, rule: FaultRule) {
        self.state.push_fault(rule);
    }

    /// Queues the text of a future chat reply: the next chat turn (Chat Completions or the
    /// Responses API) that reaches a handler answers exactly `content` instead of the
    /// composed echo, so tests can put any markdown (or hostile markup) in front of a client.
    /// Stop sequences and token limits still apply; a request refused by a fault does not
    /// use it up.
    pub fn push_reply(&self, content: impl Into<String>) {
        self.state.push_reply(content.into());
    }

    /// Queues the tool calls of a future chat reply: the next turn that offers tools (Chat
    /// Completions or the Responses API, not answering a tool result) calls exactly these
    /// `(name, arguments JSON text)`, valid or not, so clients can be tested on bad calls.
    pub fn push_tool_calls(&self, calls: Vec<(String, String)>) {
        self.state.push_tool_calls(calls);
    }

    /// Adds a one-time redeem code worth `quota` units (500 000 per USD).
    pub fn add_redemption_code(&self, code: impl Into<String>, quota: i64) {
        self.state.add_redemption(code.into(), quota);
    }

    /// Forgets recorded requests, queued faults and queued replies (tasks, files and usage stay).
    pub fn clear(&self) {
        self.state.clear();
    }

    /// Stops accepting connections and waits (briefly) for open ones to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut server) = self.server.take() {
            // A stalled stream must not hold a test hostage.
            if tokio::time::timeout(Duration::from_secs(2), &mut server)
                .await
                .is_err()
            {
                server.abort();
            }
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// All routes. Relay and balance calls need the key; account calls an access token;
/// `/api/status` and the `/files`
/// "CDN" do not; `/__sim` is the test control surface (no key, not recorded, no faults).
fn router(state: Arc<SimState>) -> Router {
    let keyed = Router::new()
        .route("/v1/models", get(models::list))
        .route("/v1/models/{model}", get(models::retrieve))
        .route("/v1/chat/completions", post(chat::completions))
        .route("/v1/responses", post(responses::create))
        .route("/v1/embeddings", post(embeddings::create))
        .route("/v1/images/generations", post(images::generate))
        .route("/v1/images/edits", post(images::edit))
        .route("/v1/images/variations", post(images::variations))
        .route("/v1/audio/speech", post(audio::speech))
        .route("/v1/audio/transcriptions", post(audio::transcribe))
        .route("/v1/audio/translations", post(audio::translate))
        .route("/v1/moderations", post(moderation::moderate))
        .route("/v1/rerank", post(rerank::rerank))
        .route("/v1/video/generations", post(video::submit_generation))
        .route("/v1/video/generations/{id}", get(video::poll_generation))
        .route("/v1/videos", post(video::submit_video))
        .route("/v1/videos/{id}", get(video::poll_video))
        .route("/v1/videos/{id}/content", get(video::content))
        .route("/api/usage/token/", get(balance::token_usage))
        .route("/api/log/token", get(balance::token_logs))
        .route(
            "/dashboard/billing/subscription",
            get(balance::subscription),
        )
        .route(
            "/v1/dashboard/billing/subscription",
            get(balance::subscription),
        )
        .route("/dashboard/billing/usage", get(balance::usage))
        .route("/v1/dashboard/billing/usage", get(balance::usage))
        // route_layer: the last one added runs first, so the key is checked before a
        // fault is chosen (a queued fault is not used up by a refused request).
        .route_layer(from_fn_with_state(state.clone(), faults::inject))
        .route_layer(from_fn_with_state(state.clone(), gateway::require_key));

    let account = Router::new()
        .route("/api/user/self", get(account::user_self))
        .route("/api/user/topup", post(account::redeem))
        .route("/api/log/self", get(account::logs))
        .route("/api/log/self/stat", get(account::log_stat))
        .route("/api/data/self", get(account::quota_data))
        .route(
            "/api/token/",
            get(account::list_tokens)
                .post(account::create_token)
                .put(account::update_token),
        )
        .route("/api/token/{id}", axum::routing::delete(account::delete_token))
        .route("/api/token/{id}/key", post(account::reveal_token))
        .route_layer(from_fn_with_state(state.clone(), faults::inject))
        .route_layer(from_fn_with_state(
            state.clone(),
            account::require_access_token,
        ));

    let public = Router::new()
        .route("/api/status", get(balance::status))
        .route("/files/{name}", get(media::hosted_file))
        .route_layer(from_fn_with_state(state.clone(), faults::inject));

    Router::new()
        .merge(keyed)
        .merge(account)
        .merge(public)
        .merge(control::routes())
        // gin answers an unknown path and a wrong method alike.
        .fallback(gateway::not_found)
        .method_not_allowed_fallback(gateway::not_found)
        .layer(from_fn_with_state(state.clone(), gateway::intake))
        // intake enforces the gateway's own limit (128 MB → 413) on every body.
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}
