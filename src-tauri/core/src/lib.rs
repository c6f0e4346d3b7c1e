//! Nexhina Studio's core: everything a person's data goes through, with no Tauri in it.
//! `platform` speaks the gateway's API, `library` keeps history in SQLite, `secrets`
//! keeps keys in the OS keychain, and `studio` joins them into the use cases that the
//! desktop shell and the CLI call.

pub mod error;
pub mod library;
pub mod media;
pub mod paths;
pub mod platform;
pub mod search;
pub mod secrets;
pub mod studio;
pub mod types;

pub use error::{Error, Result};
pub use studio::{DemoPlatform, GenerationSink, GenerationTask, IndexSink, PartSink, Studio, StudioOptions, TurnOutcome, TurnSink, TurnTask};
