//! Server-sent events over a response body, parsed by eventsource-stream. Also catches the
//! bare JSON `{"error":...}` line some gateways write into a stream after it began, which is
//! not an SSE field and would otherwise vanish.

use std::pin::Pin;
use std::sync::{Arc, Mutex};

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};

use super::client::transport_error;
use super::failure::{classify_in_success, error_in_success};
use crate::error::{Error, Result};

pub type EventStream = Pin<Box<dyn Stream<Item = Result<Event>> + Send>>;

/// The events of a streaming response, and a slot that holds a bare error line if one came.
pub fn events(response: reqwest::Response) -> (EventStream, Arc<Mutex<Option<Error>>>) {
    let bare_error = Arc::new(Mutex::new(None));
    let slot = bare_error.clone();
    let mut carry: Vec<u8> = Vec::new();
    let bytes = response.bytes_stream().map(move |chunk| {
        if let Ok(bytes) = &chunk {
            scan_for_bare_error(&mut carry, bytes, &slot);
        }
        chunk
    });
    let stream = bytes.eventsource().map(|item| match item {
        Ok(event) => Ok(event),
        Err(EventStreamError::Transport(e)) => Err(transport_error(e)),
        Err(EventStreamError::Utf8(e)) => Err(Error::InvalidResponse(format!("the stream was not UTF-8: {e}"))),
        Err(EventStreamError::Parser(e)) => Err(Error::InvalidResponse(format!("the stream could not be parsed: {e}"))),
    });
    (Box::pin(stream), bare_error)
}

fn scan_for_bare_error(carry: &mut Vec<u8>, bytes: &[u8], slot: &Mutex<Option<Error>>) {
    carry.extend_from_slice(bytes);
    while let Some(end) = carry.iter().position(|b| *b == b'\n') {
        let line: Vec<u8> = carry.drain(..=end).collect();
        let trimmed = line.trim_ascii();
        if trimmed.first() == Some(&b'{') {
            if let Ok(json) = serde_json::from_slice::<serde_json::Value>(trimmed) {
                if let Some(said) = error_in_success(&json) {
                    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(classify_in_success(said));
                }
            }
        }
    }
    // Only the start of a line can hold a bare error: a long partial line is not one.
    if carry.len() > 64 * 1024 {
        carry.clear();
    }
}

/// The error to report when a stream ended before it said it was complete.
pub fn ended_early(bare_error: &Mutex<Option<Error>>) -> Error {
    bare_error
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .unwrap_or_else(|| Error::Network("the connection closed before the reply was complete".into()))
}

/// Turns a batch of items read from one event into a stream of single items.
pub fn one_by_one<T>(batch: Result<Vec<T>>) -> futures_util::stream::Iter<std::vec::IntoIter<Result<T>>> {
    let items: Vec<Result<T>> = match batch {
        Ok(items) => items.into_iter().map(Ok).collect(),
        Err(e) => vec![Err(e)],
    };
    futures_util::stream::iter(items)
}
