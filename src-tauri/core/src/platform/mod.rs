//! The platform API client: one module per endpoint family. Wire types stay in here;
//! the rest of core sees domain types.

pub mod account;
pub mod audio;
pub mod balance;
pub mod base_url;
pub mod chat;
pub mod client;
pub mod embeddings;
pub mod failure;
pub mod images;
pub mod models;
pub mod moderation;
pub mod rerank;
pub mod responses;
mod sse;
pub mod tools;
pub mod video;

pub use base_url::BaseUrl;
pub use client::{http_client, HttpOptions, PlatformClient, RetryPolicy, Safety};
