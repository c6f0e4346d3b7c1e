//! The one error type of the core crate. Each variant has a stable `code()` that the UI
//! branches on and a `Display` text a person can read.

use std::time::Duration;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("The platform refused the API key. Check it in Settings: it may be wrong, disabled, expired or used up.")]
    Unauthorized { request_id: Option<String> },

    #[error("The balance is used up: {message}")]
    QuotaExhausted { message: String, request_id: Option<String> },

    #[error("The platform refused the request: {message}")]
    Forbidden { message: String, request_id: Option<String> },

    #[error("{}", rate_limited_text(*.retry_after))]
    RateLimited { retry_after: Option<Duration>, request_id: Option<String> },

    #[error("The model is not available on this platform right now: {message}")]
    ModelUnavailable { message: String, request_id: Option<String> },

    #[error("This gateway does not offer {what}.")]
    NotOffered { what: String, request_id: Option<String> },

    #[error("The file is too large for the platform.")]
    PayloadTooLarge { request_id: Option<String> },

    #[error("The platform rejected the request: {message}")]
    BadRequest { message: String, request_id: Option<String> },

    #[error("This is not supported by the platform: {message}")]
    NotSupported { message: String, request_id: Option<String> },

    #[error("The platform had an internal error: {message}")]
    ServerError { message: String, request_id: Option<String> },

    #[error("The gateway or the model provider behind it is down ({status}): {message}")]
    GatewayDown { status: u16, message: String, request_id: Option<String> },

    #[error("Could not reach the platform: {0}")]
    Network(String),

    #[error("The platform did not answer in time.")]
    Timeout,

    #[error("The platform's answer could not be read: {0}")]
    InvalidResponse(String),

    #[error("That is not a valid base URL: {0}")]
    InvalidUrl(String),

    #[error("That proxy address cannot be used: {0}")]
    InvalidProxy(String),

    #[error("Plain http:// is only allowed for this computer (localhost); use https:// for {0}.")]
    InsecureUrl(String),

    #[error("No API key is set. Enter one in Settings, or set NEXHINA_API_KEY.")]
    MissingKey,

    #[error("No access token is set for this platform. Add the access token and user id from the platform's console on the Account page (or `nexhina account login`).")]
    NoAccessToken,

    #[error("The platform refused the access token. Copy it again from the platform's console (personal settings); it may have been reset.")]
    AccessTokenRefused { message: String },

    #[error("The user id does not belong to this access token. Use the id shown in the platform's console beside your user name.")]
    UserIdMismatch { message: String },

    #[error("The code was not accepted. The platform does not say why: it may be mistyped, already used, or expired.")]
    RedeemRefused { message: String },

    #[error("No platform is set up yet. Enter its base URL and API key in Settings, or run `nexhina config set-base-url`.")]
    NotConfigured,

    #[error("The OS keychain is not reachable: {0}")]
    KeychainUnavailable(String),

    #[error("Not found: {0}")]
    NotFound(String),

    #[error("{0}")]
    InvalidInput(String),

    #[error("The local library could not be used: {0}")]
    Storage(String),

    #[error("{0}")]
    Internal(String),

    /// The moderation pre-check flagged a prompt; it was not sent.
    #[error("The moderation check flagged this prompt ({0}); it was not sent.")]
    Flagged(String),

    /// The person stopped long work (an export or import); the text says what was left.
    #[error("{0}")]
    Cancelled(String),
}

fn rate_limited_text(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!(
            "The platform is rate limiting requests. Try again in {} s.",
            wait.as_secs().max(1)
        ),
        None => "The platform is rate limiting requests. Wait a moment and try again.".into(),
    }
}

impl Error {
    /// Stable machine-readable code for the IPC boundary and `--json` output.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthorized { .. } => "unauthorized",
            Error::QuotaExhausted { .. } => "quota_exhausted",
            Error::Forbidden { .. } => "forbidden",
            Error::RateLimited { .. } => "rate_limited",
            Error::ModelUnavailable { .. } => "model_unavailable",
            Error::NotOffered { .. } => "not_offered",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::BadRequest { .. } => "bad_request",
            Error::NotSupported { .. } => "not_supported",
            Error::ServerError { .. } => "server_error",
            Error::GatewayDown { .. } => "gateway_down",
            Error::Network(_) => "network",
            Error::Timeout => "timeout",
            Error::InvalidResponse(_) => "invalid_response",
            Error::InvalidUrl(_) => "invalid_url",
            Error::InvalidProxy(_) => "invalid_proxy",
            Error::InsecureUrl(_) => "insecure_url",
            Error::MissingKey => "missing_key",
            Error::NoAccessToken => "no_access_token",
            Error::AccessTokenRefused { .. } => "access_token_refused",
            Error::UserIdMismatch { .. } => "user_id_mismatch",
            Error::RedeemRefused { .. } => "redeem_refused",
            Error::NotConfigured => "not_configured",
            Error::KeychainUnavailable(_) => "keychain_unavailable",
            Error::NotFound(_) => "not_found",
            Error::InvalidInput(_) => "invalid_input",
            Error::Storage(_) => "storage",
            Error::Internal(_) => "internal",
            Error::Flagged(_) => "flagged",
            Error::Cancelled(_) => "cancelled",
        }
    }

    /// The gateway's request id, for the user to quote to the platform's support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Unauthorized { request_id }
            | Error::QuotaExhausted { request_id, .. }
            | Error::Forbidden { request_id, .. }
            | Error::RateLimited { request_id, .. }
            | Error::ModelUnavailable { request_id, .. }
            | Error::NotOffered { request_id, .. }
            | Error::PayloadTooLarge { request_id }
            | Error::BadRequest { request_id, .. }
            | Error::NotSupported { request_id, .. }
            | Error::ServerError { request_id, .. }
            | Error::GatewayDown { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

impl From<rusqlite_migration::Error> for Error {
    fn from(e: rusqlite_migration::Error) -> Self {
        Error::Storage(format!("migration failed: {e}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Internal(format!("could not encode or decode JSON: {e}"))
    }
}
