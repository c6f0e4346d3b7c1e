//! Thin IPC commands: each parses, calls one studio function, and maps the error.

mod account;
mod chat;
mod data;
mod images;
mod search;
mod settings;
mod speech;
mod tools;
mod video;

pub use account::*;
pub use chat::*;
pub use data::*;
pub use images::*;
pub use search::*;
pub use settings::*;
pub use speech::*;
pub use tools::*;
pub use video::*;

use nexhina_core::types::IpcError;
use serde::Serialize;

/// The error every command returns: `{ code, message, request_id }` on the wire.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct CommandError(IpcError);

impl From<nexhina_core::Error> for CommandError {
    fn from(e: nexhina_core::Error) -> Self {
        // Every failure a person sees is also in the log, with the platform's request id.
        log::warn!("{} ({}): {e}", e.code(), e.request_id().unwrap_or("no request id"));
        CommandError(IpcError::from(&e))
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
