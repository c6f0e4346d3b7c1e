//! The account API (new-api's console calls): the user, usage logs and quota data, API keys
//! and redeem codes. It takes a personal access token and a `New-Api-User: <id>` header,
//! never the API key, and answers `{"success","message","data"}`, with HTTP 200 even when
//! `success` is false. Amounts are quota units here; `DisplayUnit` turns them into money.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::{failure_of, transport_error, PlatformClient};
use crate::error::{Error, Result};

const USER_HEADER: HeaderName = HeaderName::from_static("new-api-user");

/// The console credentials for one platform.
#[derive(Clone)]
pub struct AccessToken {
    pub token: String,
    pub user_id: i64,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken").field("user_id", &self.user_id).finish_non_exhaustive()
    }
}

/// How the platform shows quota: units per displayed unit, and the unit's name.
#[derive(Debug, Clone, PartialEq)]
pub struct DisplayUnit {
    pub divisor: f64,
    pub currency: String,
}

impl DisplayUnit {
    pub fn money(&self, quota: f64) -> f64 {
        quota / self.divisor
    }

    pub fn quota(&self, money: f64) -> i64 {
        (money * self.divisor).round() as i64
    }

    /// From `/api/status`. Without unit settings, amounts stay in quota units: a made-up
    /// rate would show a wrong sum of money.
    pub fn from_status(status: Option<&Value>) -> DisplayUnit {
        let raw = DisplayUnit { divisor: 1.0, currency: "quota".into() };
        let Some(status) = status else { return raw };
        let number = |key: &str| status.get(key).and_then(Value::as_f64).filter(|v| *v > 0.0);
        let Some(per_usd) = number("quota_per_unit") else { return raw };
        let usd = DisplayUnit { divisor: per_usd, currency: "USD".into() };
        let shown = status.get("quota_display_type").and_then(Value::as_str);
        let in_currency = status.get("display_in_currency").and_then(Value::as_bool).unwrap_or(true);
        match shown {
            Some("TOKENS") => DisplayUnit { divisor: 1.0, currency: "tokens".into() },
            None if !in_currency => DisplayUnit { divisor: 1.0, currency: "tokens".into() },
            Some("CNY") => match number("usd_exchange_rate") {
                Some(rate) => DisplayUnit { divisor: per_usd / rate, currency: "CNY".into() },
                None => usd,
            },
            Some("CUSTOM") => {
                let symbol = status.get("custom_currency_symbol").and_then(Value::as_str).map(str::trim);
                match (number("custom_currency_exchange_rate"), symbol.filter(|s| !s.is_empty())) {
                    (Some(rate), Some(symbol)) => DisplayUnit { divisor: per_usd / rate, currency: symbol.into() },
                    _ => usd,
                }
            }
            _ => usd,
        }
    }
}

/// `/api/status` (public); `None` when the gateway has none.
pub async fn status(client: &PlatformClient) -> Option<Value> {
    #[derive(Deserialize)]
    struct Envelope {
        data: Value,
    }
    client.get_json::<Envelope>(client.base().root("api/status"), "a status").await.ok().map(|e| e.data)
}

pub async fn display_unit(client: &PlatformClient) -> DisplayUnit {
    DisplayUnit::from_status(status(client).await.as_ref())
}

// ---- Wire types ---------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct WireUser {
    pub id: i64,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub quota: f64,
    #[serde(default)]
    pub used_quota: f64,
    #[serde(default)]
    pub request_count: i64,
}

#[derive(Debug, Deserialize, Clone)]
pub struct WireLog {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub created_at: i64,
    #[serde(default, rename = "type")]
    pub kind: i64,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub token_name: String,
    #[serde(default)]
    pub model_name: String,
    #[serde(default)]
    pub quota: f64,
    #[serde(default)]
    pub prompt_tokens: u32,
    #[serde(default)]
    pub completion_tokens: u32,
}

/// new-api pages as `{page, page_size, total, items}`; older versions send a bare list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Paged<T> {
    Page {
        #[serde(default)]
        total: i64,
        #[serde(default = "no_items")]
        items: Option<Vec<T>>,
    },
    List(Vec<T>),
}

fn no_items<T>() -> Option<Vec<T>> {
    None
}

impl<T> Paged<T> {
    pub fn into_parts(self) -> (Vec<T>, i64) {
        match self {
            Paged::Page { total, items } => {
                let items = items.unwrap_or_default();
                (items, total)
            }
            Paged::List(items) => {
                let total = items.len() as i64;
                (items, total)
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct WireLogStat {
    #[serde(default)]
    pub quota: f64,
}

#[derive(Debug, Deserialize)]
pub struct WireQuotaData {
    #[serde(default)]
    pub model_name: String,
    #[serde(default)]
    pub created_at: i64,
    #[serde(default)]
    pub token_used: i64,
    #[serde(default)]
    pub count: u32,
    #[serde(default)]
    pub quota: f64,
}

#[derive(Debug, Deserialize, Serialize, Clone, Default)]
pub struct WireToken {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub status: i64,
    #[serde(default)]
    pub created_time: i64,
    #[serde(default = "never")]
    pub expired_time: i64,
    #[serde(default)]
    pub remain_quota: i64,
    #[serde(default)]
    pub used_quota: i64,
    #[serde(default)]
    pub unlimited_quota: bool,
    #[serde(default)]
    pub model_limits_enabled: bool,
    #[serde(default)]
    pub model_limits: String,
    #[serde(default)]
    pub group: String,
}

fn never() -> i64 {
    -1
}

/// Log filters in new-api's query names.
#[derive(Debug, Default, Clone)]
pub struct LogFilter {
    pub page: u32,
    pub page_size: u32,
    pub kind: Option<i64>,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub model: Option<String>,
    pub token_name: Option<String>,
}

impl LogFilter {
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = vec![
            ("p", self.page.max(1).to_string()),
            ("page_size", self.page_size.clamp(1, 100).to_string()),
            ("type", self.kind.unwrap_or(0).to_string()),
            ("start_timestamp", self.start.unwrap_or(0).to_string()),
            ("end_timestamp", self.end.unwrap_or(0).to_string()),
        ];
        if let Some(model) = self.model.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            query.push(("model_name", model.to_string()));
        }
        if let Some(name) = self.token_name.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            query.push(("token_name", name.to_string()));
        }
        query
    }
}

// ---- Calls --------------------------------------------------------------------------------

/// Account calls over the platform's client: its HTTP client, base URL and language.
pub struct AccountApi<'a> {
    client: &'a PlatformClient,
    access: &'a AccessToken,
}

impl<'a> AccountApi<'a> {
    pub fn new(client: &'a PlatformClient, access: &'a AccessToken) -> Self {
        AccountApi { client, access }
    }

    pub async fn user(&self) -> Result<WireUser> {
        self.call(Method::GET, "api/user/self", &[], None, "an account API").await
    }

    pub async fn logs(&self, filter: &LogFilter) -> Result<(Vec<WireLog>, i64)> {
        let page: Paged<WireLog> = self.call(Method::GET, "api/log/self", &filter.query(), None, "usage logs").await?;
        Ok(page.into_parts())
    }

    pub async fn log_stat(&self, filter: &LogFilter) -> Result<WireLogStat> {
        self.call(Method::GET, "api/log/self/stat", &filter.query(), None, "usage statistics").await
    }

    pub async fn quota_data(&self, start: i64, end: i64) -> Result<Vec<WireQuotaData>> {
        let query = [("start_timestamp", start.to_string()), ("end_timestamp", end.to_string())];
        let rows: Option<Vec<WireQuotaData>> = self.call(Method::GET, "api/data/self", &query, None, "spending data").await?;
        Ok(rows.unwrap_or_default())
    }

    /// Every key, following the pages.
    pub async fn tokens(&self) -> Result<Vec<WireToken>> {
        let mut all = Vec::new();
        for page in 1..=20u32 {
            let query = [("p", page.to_string()), ("page_size", "100".to_string())];
            let (items, total) =
                self.call::<Paged<WireToken>>(Method::GET, "api/token/", &query, None, "API key management").await?.into_parts();
            let done = items.len() < 100 || all.len() + items.len() >= total as usize;
            all.extend(items);
            if done {
                break;
            }
        }
        Ok(all)
    }

    /// new-api answers a creation without the new key; the caller lists to find it.
    pub async fn create_token(&self, token: &WireToken) -> Result<()> {
        let body = serde_json::to_value(token)?;
        self.call::<Value>(Method::POST, "api/token/", &[], Some(body), "API key management").await.map(|_| ())
    }

    pub async fn update_token(&self, token: &WireToken) -> Result<()> {
        let body = serde_json::to_value(token)?;
        self.call::<Value>(Method::PUT, "api/token/", &[], Some(body), "API key management").await.map(|_| ())
    }

    pub async fn set_token_status(&self, id: i64, enabled: bool) -> Result<()> {
        let body = serde_json::json!({"id": id, "status": if enabled { 1 } else { 2 }});
        let query = [("status_only", "true".to_string())];
        self.call::<Value>(Method::PUT, "api/token/", &query, Some(body), "API key management").await.map(|_| ())
    }

    pub async fn delete_token(&self, id: i64) -> Result<()> {
        self.call::<Value>(Method::DELETE, &format!("api/token/{id}"), &[], None, "API key management").await.map(|_| ())
    }

    /// The whole key, with the `sk-` prefix relay calls use.
    pub async fn reveal_token(&self, id: i64) -> Result<String> {
        #[derive(Deserialize)]
        struct Revealed {
            key: String,
        }
        let revealed: Revealed =
            self.call(Method::POST, &format!("api/token/{id}/key"), &[], None, "revealing API keys").await?;
        let key = revealed.key.trim();
        Ok(if key.starts_with("sk-") { key.to_string() } else { format!("sk-{key}") })
    }

    /// Quota units added. A refusal never says why on new-api.
    pub async fn redeem(&self, code: &str) -> Result<f64> {
        let body = serde_json::json!({"key": code.trim()});
        match self.call::<f64>(Method::POST, "api/user/topup", &[], Some(body), "redeem codes").await {
            Err(Error::BadRequest { message, .. }) => Err(Error::RedeemRefused { message }),
            other => other,
        }
    }

    fn headers(&self) -> Result<HeaderMap> {
        let bad = |what: &str| Error::InvalidInput(format!("the {what} contains characters it cannot have"));
        let mut headers = HeaderMap::new();
        let mut token = HeaderValue::from_str(self.access.token.trim()).map_err(|_| bad("access token"))?;
        token.set_sensitive(true);
        // new-api takes the console token bare (it also strips a `Bearer `).
        headers.insert(AUTHORIZATION, token);
        headers.insert(USER_HEADER, HeaderValue::from(self.access.user_id));
        Ok(headers)
    }

    /// One try: console calls are quick and a person is waiting for them; a redeem or a
    /// creation must not be sent twice.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Value>,
        what: &str,
    ) -> Result<T> {
        let mut request = self.client.request(method, self.client.base().root(path))?;
        // The platform client's headers carry the language; the API key is replaced.
        request = request.headers(self.headers()?).query(query);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(transport_error)?;
        read_envelope(response, what).await
    }
}

/// Reads `{"success","message","data"}`. `success:false` is a failure whatever the HTTP
/// status; 401 and the access-token messages are the credentials' fault.
async fn read_envelope<T: DeserializeOwned>(response: Response, what: &str) -> Result<T> {
    let status = response.status().as_u16();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if !(response.status().is_success() || (status == 401 && is_json)) {
        return Err(failure_of(response, what).await);
    }
    let text = response.text().await.map_err(transport_error)?;
    let value: Value = serde_json::from_str(&text).map_err(|_| {
        let preview: String = text.trim().chars().take(80).collect();
        Error::InvalidResponse(format!("expected JSON, got: {preview}"))
    })?;
    let success = value.get("success").and_then(Value::as_bool);
    if success != Some(true) || status == 401 {
        let message = value
            .get("message")
            .and_then(Value::as_str)
            .or_else(|| value.pointer("/error/message").and_then(Value::as_str))
            .unwrap_or_default()
            .trim()
            .to_string();
        return Err(refusal(status, message));
    }
    let data = value.get("data").cloned().unwrap_or(Value::Null);
    serde_json::from_value(data).map_err(|e| Error::InvalidResponse(e.to_string()))
}

fn refusal(status: u16, message: String) -> Error {
    let lower = message.to_lowercase();
    if lower.contains("new-api-user") {
        Error::UserIdMismatch { message }
    } else if status == 401 || lower.contains("access token") || lower.contains("未登录") || lower.contains("无权进行此操作") {
        Error::AccessTokenRefused { message }
    } else if message.is_empty() {
        Error::BadRequest { message: "the platform refused without saying why".into(), request_id: None }
    } else {
        Error::BadRequest { message, request_id: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn money_follows_the_platforms_own_unit_settings() {
        let usd = DisplayUnit::from_status(Some(&json!({"quota_per_unit": 500000, "quota_display_type": "USD"})));
        assert_eq!(usd.currency, "USD");
        assert!((usd.money(1_000_000.0) - 2.0).abs() < 1e-9);
        let cny = DisplayUnit::from_status(Some(&json!({"quota_per_unit": 500000, "quota_display_type": "CNY", "usd_exchange_rate": 7.0})));
        assert_eq!(cny.currency, "CNY");
        assert!((cny.money(1_000_000.0) - 14.0).abs() < 1e-9);
        assert_eq!(cny.quota(14.0), 1_000_000);
        let tokens = DisplayUnit::from_status(Some(&json!({"quota_per_unit": 500000, "quota_display_type": "TOKENS"})));
        assert_eq!((tokens.divisor, tokens.currency.as_str()), (1.0, "tokens"));
        let custom = DisplayUnit::from_status(Some(&json!({"quota_per_unit": 1000, "quota_display_type": "CUSTOM",
            "custom_currency_symbol": "¤", "custom_currency_exchange_rate": 2.0})));
        assert_eq!(custom.currency, "¤");
        assert!((custom.money(1000.0) - 2.0).abs() < 1e-9);
    }

    #[test]
    fn no_rate_is_ever_invented() {
        // CNY without a rate is shown in the platform's base unit, not at a guessed rate.
        let cny = DisplayUnit::from_status(Some(&json!({"quota_per_unit": 500000, "quota_display_type": "CNY"})));
        assert_eq!(cny.currency, "USD");
        assert_eq!(DisplayUnit::from_status(None).currency, "quota");
        assert_eq!(DisplayUnit::from_status(Some(&json!({}))).currency, "quota");
    }

    #[test]
    fn refusals_name_the_credential_at_fault() {
        assert!(matches!(refusal(401, "无权进行此操作，New-Api-User 与登录用户不匹配".into()), Error::UserIdMismatch { .. }));
        assert!(matches!(refusal(200, "无权进行此操作，access token 无效".into()), Error::AccessTokenRefused { .. }));
        assert!(matches!(refusal(200, "令牌名称过长".into()), Error::BadRequest { .. }));
    }
}
