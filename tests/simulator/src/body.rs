//! Response bodies written piece by piece, the way a streaming gateway writes them.

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

type Piece = Result<Bytes, io::Error>;

/// The writing end of a body produced by a task.
pub(crate) struct BodyTx(mpsc::Sender<Piece>);

impl BodyTx {
    /// Sends one piece (one HTTP chunk); false once the client has gone.
    pub async fn send(&self, data: impl Into<Bytes>) -> bool {
        self.0.send(Ok(data.into())).await.is_ok()
    }

    /// Makes hyper drop the connection mid-body: no terminating chunk, no `[DONE]`.
    pub async fn reset(self) {
        let error = io::Error::new(io::ErrorKind::ConnectionReset, "simulated connection reset");
        let _ = self.0.send(Err(error)).await;
    }
}

/// A body whose pieces `produce` sends, each as it comes (capacity 1 keeps them apart).
pub(crate) fn spawn_body<F, Fut>(produce: F) -> Body
where
    F: FnOnce(BodyTx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<Piece>(1);
    tokio::spawn(produce(BodyTx(tx)));
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|piece| (piece, rx))
    }))
}

/// An SSE answer: one piece per event, `delay` between events.
pub(crate) fn sse_response(events: Vec<String>, delay: Duration) -> Response {
    let body = spawn_body(move |tx| async move {
        for (i, event) in events.into_iter().enumerate() {
            if i > 0 && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if !tx.send(event).await {
                return;
            }
        }
    });
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, "text/event-stream"),
            (CACHE_CONTROL, "no-cache"),
            // What new-api sets so nginx in front does not buffer the stream.
            (
                axum::http::HeaderName::from_static("x-accel-buffering"),
                "no",
            ),
        ],
        body,
    )
        .into_response()
}

/// `data: <json>` + blank line.
pub(crate) fn data_event(value: &serde_json::Value) -> String {
    format!("data: {value}\n\n")
}

/// `event: <type>` + `data: <json>` + blank line (Responses API).
pub(crate) fn named_event(kind: &str, value: &serde_json::Value) -> String {
    format!("event: {kind}\ndata: {value}\n\n")
}

pub(crate) const KEEP_ALIVE: &str = ": keep-alive\n\n";
pub(crate) const DONE: &str = "data: [DONE]\n\n";

/// Binary content sent in several chunks (Transfer-Encoding: chunked, no length).
pub(crate) fn chunked_response(
    content_type: &'static str,
    bytes: Bytes,
    pieces: usize,
    delay: Duration,
) -> Response {
    let size = bytes.len().div_ceil(pieces.max(1)).max(1);
    let body = spawn_body(move |tx| async move {
        let mut offset = 0;
        while offset < bytes.len() {
            let end = (offset + size).min(bytes.len());
            if offset > 0 && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if !tx.send(bytes.slice(offset..end)).await {
                return;
            }
            offset = end;
        }
    });
    (StatusCode::OK, [(CONTENT_TYPE, content_type)], body).into_response()
}
