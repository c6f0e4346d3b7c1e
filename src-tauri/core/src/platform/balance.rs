//! What the API key alone can read: its balance in the platform's display currency (new-api's
//! token usage endpoint first, OpenAI-style billing endpoints as the fallback) and its recent
//! calls. Absent endpoints mean "not offered", never an error.

use serde::Deserialize;

use super::account::{display_unit, DisplayUnit};
use super::client::PlatformClient;
use crate::error::{Error, Result};
use crate::types::{Balance, KeyCall, KeyStatus};

/// The billing endpoints answer this for "no limit".
const UNLIMITED_USD: f64 = 100_000_000.0;

#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

#[derive(Deserialize)]
struct TokenUsage {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    total_granted: Option<f64>,
    #[serde(default)]
    total_used: Option<f64>,
    #[serde(default)]
    total_available: Option<f64>,
    #[serde(default)]
    unlimited_quota: bool,
    #[serde(default)]
    expires_at: Option<i64>,
    #[serde(default)]
    model_limits_enabled: bool,
    #[serde(default)]
    model_limits: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Subscription {
    hard_limit_usd: f64,
}

#[derive(Deserialize)]
struct BillingUsage {
    total_usage: f64,
}

/// `Ok(None)` when the gateway offers no balance at all; a wrong key is still an error.
pub async fn balance(client: &PlatformClient) -> Result<Option<Balance>> {
    let unit = display_unit(client).await;
    if let Some(status) = key_status(client, &unit).await? {
        return Ok(Some(status.balance));
    }
    match billing(client).await {
        Ok(balance) => Ok(Some(balance)),
        Err(e @ Error::Unauthorized { .. }) => Err(e),
        Err(_) => Ok(None),
    }
}

/// The key's own figures from new-api's `/api/usage/token/`, which still answers for an
/// expired or used-up key. `Ok(None)`: the gateway has no such endpoint.
pub async fn key_status(client: &PlatformClient, unit: &DisplayUnit) -> Result<Option<KeyStatus>> {
    // The trailing slash matters: new-api answers 404 without it.
    let url = client.base().root("api/usage/token/");
    let usage: TokenUsage = match client.get_json::<Envelope<TokenUsage>>(url, "a balance").await {
        Ok(envelope) => envelope.data,
        Err(e @ Error::Unauthorized { .. }) => return Err(e),
        Err(_) => return Ok(None),
    };
    let to_money = |q: Option<f64>| q.map(|q| unit.money(q));
    // new-api reports "never" as 0 (older versions as -1).
    let expires_at = usage.expires_at.filter(|t| *t > 0);
    let model_limits = match (usage.model_limits_enabled, usage.model_limits) {
        (true, Some(serde_json::Value::Object(map))) => map.keys().cloned().collect(),
        (true, Some(serde_json::Value::String(list))) => {
            list.split(',').map(str::trim).filter(|m| !m.is_empty()).map(str::to_string).collect()
        }
        _ => Vec::new(),
    };
    Ok(Some(KeyStatus {
        name: usage.name.filter(|n| !n.is_empty()),
        balance: Balance {
            total: to_money(usage.total_granted),
            used: to_money(usage.total_used),
            available: to_money(usage.total_available),
            unlimited: usage.unlimited_quota,
            currency: unit.currency.clone(),
        },
        expires_at,
        expired: expires_at.is_some_and(|t| t < unix_now()),
        model_limits,
    }))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[derive(Deserialize)]
struct KeyLog {
    #[serde(default)]
    created_at: i64,
    #[serde(default)]
    model_name: String,
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
    #[serde(default)]
    quota: f64,
    #[serde(default, rename = "type")]
    kind: i64,
}

/// The key's recent calls (`/api/log/token`), newest first; `Ok(None)` where not offered.
pub async fn key_calls(client: &PlatformClient, unit: &DisplayUnit) -> Result<Option<Vec<KeyCall>>> {
    let url = client.base().root("api/log/token");
    let logs = match client.get_json::<Envelope<Option<Vec<KeyLog>>>>(url, "key logs").await {
        Ok(envelope) => envelope.data.unwrap_or_default(),
        Err(e @ Error::Unauthorized { .. }) => return Err(e),
        Err(_) => return Ok(None),
    };
    let mut calls: Vec<KeyCall> = logs
        .into_iter()
        .filter(|l| l.kind == 0 || l.kind == 2)
        .map(|l| KeyCall {
            created_at: l.created_at,
            model: l.model_name,
            prompt_tokens: l.prompt_tokens,
            completion_tokens: l.completion_tokens,
            cost: unit.money(l.quota),
        })
        .collect();
    calls.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    Ok(Some(calls))
}

async fn billing(client: &PlatformClient) -> Result<Balance> {
    let sub: Subscription =
        client.get_json(client.base().root("dashboard/billing/subscription"), "a balance").await?;
    let usage: BillingUsage = client.get_json(client.base().root("dashboard/billing/usage"), "a balance").await?;
    let used = usage.total_usage / 100.0;
    let unlimited = sub.hard_limit_usd >= UNLIMITED_USD;
    Ok(Balance {
        total: (!unlimited).then_some(sub.hard_limit_usd),
        used: Some(used),
        available: (!unlimited).then_some(sub.hard_limit_usd - used),
        unlimited,
        currency: "USD".into(),
    })
}
