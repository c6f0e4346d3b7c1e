//! The HTTP client every platform call goes through: auth, timeouts, proxy, typed failures,
//! and retries where a retry cannot repeat a generation.

use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT_LANGUAGE, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::base_url::BaseUrl;
use super::failure::{classify, classify_in_success, error_in_success, is_retryable, read_failure_body};
use crate::error::{Error, Result};

/// Settings for the one shared HTTP client.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    /// Longest silence between two reads; the gateway itself closes streams idle for 300 s.
    pub read_timeout: Duration,
    /// A proxy from the app's settings; `HTTPS_PROXY`/`ALL_PROXY` are honoured without it.
    pub proxy: Option<String>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions { connect_timeout: Duration::from_secs(10), read_timeout: Duration::from_secs(300), proxy: None }
    }
}

/// Builds the shared client. reqwest reads the proxy environment variables itself.
pub fn http_client(options: &HttpOptions) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("NexhinaStudio/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(options.connect_timeout)
        .read_timeout(options.read_timeout);
    if let Some(proxy) = options.proxy.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        let bad = |why: String| Error::InvalidProxy(format!("{proxy} ({why})"));
        let url = url::Url::parse(proxy).map_err(|e| bad(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") || url.host().is_none() {
            return Err(bad("use http://host:port, https://host:port or socks5://host:port".into()));
        }
        builder = builder.proxy(reqwest::Proxy::all(url.as_str()).map_err(|e| bad(e.to_string()))?);
    }
    builder.build().map_err(|e| Error::Internal(format!("could not start the HTTP client: {e}")))
}

/// How often and how patiently to try again.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is reported to the person instead of waited out.
    pub longest_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            longest_wait: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with ±25 % jitter, or the gateway's `Retry-After` when it gave one.
    fn delay(&self, retry: u32, error: &Error) -> Option<Duration> {
        if retry >= self.max_retries {
            return None;
        }
        if let Error::RateLimited { retry_after: Some(wait), .. } = error {
            return (*wait <= self.longest_wait).then_some(*wait);
        }
        let exp = self.base_delay.saturating_mul(2u32.saturating_pow(retry)).min(self.max_delay);
        let jitter = rand::rng().random_range(0.75..1.25);
        Some(exp.mul_f64(jitter))
    }
}

/// Whether re-sending a request could repeat work on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    /// Reads (GET): any transient failure may be retried.
    Idempotent,
    /// Generations: retried only when the failure proves nothing started (429, 502/503
    /// answered before output, or a connection that never opened).
    Generation,
}

/// One platform (base URL + key) over the shared HTTP client.
#[derive(Clone)]
pub struct PlatformClient {
    http: reqwest::Client,
    base: BaseUrl,
    api_key: String,
    retry: RetryPolicy,
    language: &'static str,
}

impl std::fmt::Debug for PlatformClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key never reaches logs or error output.
        f.debug_struct("PlatformClient").field("base", &self.base.to_string()).finish_non_exhaustive()
    }
}

impl PlatformClient {
    pub fn new(http: reqwest::Client, base: BaseUrl, api_key: String) -> Self {
        PlatformClient { http, base, api_key, retry: RetryPolicy::default(), language: "en" }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Gateway messages come localized where the gateway supports it.
    pub fn with_language(mut self, language: &'static str) -> Self {
        self.language = language;
        self
    }

    pub fn base(&self) -> &BaseUrl {
        &self.base
    }

    /// The shared HTTP client without the platform's headers, for third-party file URLs.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    fn headers(&self) -> Result<HeaderMap> {
        let mut headers = HeaderMap::new();
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", self.api_key.trim()))
            .map_err(|_| Error::BadRequest { message: "the API key contains characters a key cannot have".into(), request_id: None })?;
        auth.set_sensitive(true);
        headers.insert(AUTHORIZATION, auth);
        headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_static(self.language));
        Ok(headers)
    }

    pub fn get(&self, url: String) -> Result<RequestBuilder> {
        Ok(self.http.get(url).headers(self.headers()?))
    }

    pub fn post(&self, url: String) -> Result<RequestBuilder> {
        Ok(self.http.post(url).headers(self.headers()?))
    }

    /// Any method, with the platform's headers (the account API replaces the key's).
    pub fn request(&self, method: reqwest::Method, url: String) -> Result<RequestBuilder> {
        Ok(self.http.request(method, url).headers(self.headers()?))
    }

    /// Sends a request, retrying only where [`Safety`] allows, and returns the successful
    /// response or the typed failure. `what` names the capability for "not offered" errors.
    pub async fn send(&self, make: impl Fn() -> Result<RequestBuilder>, safety: Safety, what: &str) -> Result<Response> {
        let mut retry = 0;
        loop {
            let error = match make()?.send().await {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => failure_of(response, what).await,
                Err(e) => {
                    let never_connected = e.is_connect();
                    let error = transport_error(e);
                    if safety == Safety::Generation && !never_connected {
                        return Err(error);
                    }
                    error
                }
            };
            let transient = is_retryable(&error) || matches!(error, Error::Network(_) | Error::Timeout);
            match self.retry.delay(retry, &error).filter(|_| transient) {
                Some(wait) => {
                    tokio::time::sleep(wait).await;
                    retry += 1;
                }
                None => return Err(error),
            }
        }
    }

    /// GET a JSON document, with retries.
    pub async fn get_json<T: DeserializeOwned>(&self, url: String, what: &str) -> Result<T> {
        let response = self.send(|| self.get(url.clone()), Safety::Idempotent, what).await?;
        read_json(response).await
    }
}

/// Reads a successful JSON answer, treating an `error` object inside HTTP 200 as a failure.
pub async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T> {
    let text = response.text().await.map_err(transport_error)?;
    let value: Value = serde_json::from_str(&text).map_err(|_| {
        let preview: String = text.trim().chars().take(80).collect();
        Error::InvalidResponse(format!("expected JSON, got: {preview}"))
    })?;
    if let Some(said) = error_in_success(&value) {
        return Err(classify_in_success(said));
    }
    serde_json::from_value(value).map_err(|e| Error::InvalidResponse(e.to_string()))
}

/// The typed failure for a non-success response.
pub async fn failure_of(response: Response, what: &str) -> Error {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = response.text().await.unwrap_or_default();
    classify(status, &headers, read_failure_body(&body, content_type.as_deref()), what)
}

pub fn transport_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout
    } else if e.is_connect() {
        Error::Network(describe_connect_error(&e))
    } else if e.is_decode() || e.is_body() {
        Error::Network(format!("the connection broke while reading the answer ({})", root_cause(&e)))
    } else {
        Error::Network(root_cause(&e))
    }
}

fn describe_connect_error(e: &reqwest::Error) -> String {
    let cause = root_cause(e);
    let host = e.url().and_then(|u| u.host_str()).unwrap_or("the platform");
    if cause.contains("refused") {
        format!("{host} refused the connection (is the address right, and is it running?)")
    } else if cause.contains("dns") || cause.contains("resolve") || cause.contains("lookup") {
        format!("{host} could not be found (check the address and your network)")
    } else {
        format!("could not connect to {host}: {cause}")
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}
