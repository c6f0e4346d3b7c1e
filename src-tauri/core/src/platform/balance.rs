//! The key's balance, in the platform's display currency: new-api's token usage endpoint
//! first, OpenAI-style billing endpoints as the fallback. Absent endpoints mean "no balance".

use serde::Deserialize;

use super::client::PlatformClient;
use crate::error::{Error, Result};
use crate::types::Balance;

/// The billing endpoints answer this for "no limit".
const UNLIMITED_USD: f64 = 100_000_000.0;

#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

#[derive(Deserialize)]
struct TokenUsage {
    #[serde(default)]
    total_granted: Option<f64>,
    #[serde(default)]
    total_used: Option<f64>,
    #[serde(default)]
    total_available: Option<f64>,
    #[serde(default)]
    unlimited_quota: bool,
}

#[derive(Deserialize, Default)]
struct Status {
    #[serde(default)]
    quota_per_unit: Option<f64>,
    #[serde(default)]
    quota_display_type: Option<String>,
    #[serde(default)]
    usd_exchange_rate: Option<f64>,
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
    match token_usage(client).await {
        Ok(balance) => return Ok(Some(balance)),
        Err(e @ Error::Unauthorized { .. }) => return Err(e),
        Err(_) => {}
    }
    match billing(client).await {
        Ok(balance) => Ok(Some(balance)),
        Err(e @ Error::Unauthorized { .. }) => Err(e),
        Err(_) => Ok(None),
    }
}

async fn token_usage(client: &PlatformClient) -> Result<Balance> {
    // The trailing slash matters: new-api answers 404 without it.
    let usage: Envelope<TokenUsage> = client.get_json(client.base().root("api/usage/token/"), "a balance").await?;
    let status = client
        .get_json::<Envelope<Status>>(client.base().root("api/status"), "a status")
        .await
        .map(|s| s.data)
        .unwrap_or_default();
    let (divisor, currency) = display_unit(&status);
    let to_money = |q: Option<f64>| q.map(|q| q / divisor);
    let u = usage.data;
    Ok(Balance {
        total: to_money(u.total_granted),
        used: to_money(u.total_used),
        available: to_money(u.total_available),
        unlimited: u.unlimited_quota,
        currency,
    })
}

/// Quota units per displayed unit, and that unit's name.
fn display_unit(status: &Status) -> (f64, String) {
    let per_usd = status.quota_per_unit.filter(|q| *q > 0.0).unwrap_or(500_000.0);
    match status.quota_display_type.as_deref() {
        Some("TOKENS") => (1.0, "tokens".into()),
        Some("CNY") => {
            let rate = status.usd_exchange_rate.filter(|r| *r > 0.0).unwrap_or(7.3);
            (per_usd / rate, "CNY".into())
        }
        _ => (per_usd, "USD".into()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_units_convert_to_the_display_currency() {
        let usd = Status { quota_per_unit: Some(500_000.0), quota_display_type: Some("USD".into()), usd_exchange_rate: None };
        assert_eq!(display_unit(&usd), (500_000.0, "USD".to_string()));
        let cny = Status { quota_per_unit: Some(500_000.0), quota_display_type: Some("CNY".into()), usd_exchange_rate: Some(7.0) };
        let (divisor, currency) = display_unit(&cny);
        assert_eq!(currency, "CNY");
        assert!((1_000_000.0 / divisor - 14.0).abs() < 1e-9);
        let tokens = Status { quota_per_unit: None, quota_display_type: Some("TOKENS".into()), usd_exchange_rate: None };
        assert_eq!(display_unit(&tokens).1, "tokens");
    }
}
