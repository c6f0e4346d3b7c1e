//! The account: what the API key alone tells (its balance and recent calls), and with the
//! console's access token and user id, the user's balance, logs, spending and API keys.
//! The access token and user id are kept like the API key (keychain or this session),
//! under `<base url>#access-token` and `<base url>#user-id`.

use std::collections::BTreeMap;

use super::connection::Target;
use super::Studio;
use crate::error::{Error, Result};
use crate::platform::account::{display_unit, AccessToken, AccountApi, DisplayUnit, LogFilter, WireToken};
use crate::platform::{self, BaseUrl, PlatformClient};
use crate::types::{
    AccountCredentialsInput, AccountCredentialsView, AccountSummary, ApiKey, ApiKeyInput, ApiKeyList, ApiKeyStatus,
    DaySpending, KeyOverview, KeySource, KeyStorage, LogKind, LogPage, LogQuery, ModelSpending, ProfileView, Redeemed,
    Spending, SpendingQuery, UsageLog,
};

fn token_entry(base: &BaseUrl) -> String {
    format!("{base}#access-token")
}

fn user_entry(base: &BaseUrl) -> String {
    format!("{base}#user-id")
}

/// Longest range the spending chart asks for, so a typo cannot ask for decades of rows.
const MAX_SPENDING_DAYS: i64 = 366;

impl Studio {
    /// The base URL of the platform in use (the demo's too).
    fn account_base(&self) -> Result<BaseUrl> {
        match self.target()? {
            Target::Remote { base, .. } => Ok(base),
            Target::Demo { demo } => BaseUrl::parse(&demo.base_url),
            Target::Nothing => Err(Error::NotConfigured),
        }
    }

    fn access_token(&self, base: &BaseUrl) -> Option<(AccessToken, KeySource)> {
        let (token, source) = self.keys.load_secret(&token_entry(base))?;
        let (user, _) = self.keys.load_secret(&user_entry(base))?;
        let user_id = user.trim().parse().ok()?;
        Some((AccessToken { token, user_id }, source))
    }

    /// The platform's client and the stored console credentials; `NoAccessToken` without them.
    fn account(&self) -> Result<(PlatformClient, AccessToken)> {
        let (client, _) = self.connect()?;
        let (access, _) = self.access_token(client.base()).ok_or(Error::NoAccessToken)?;
        Ok((client, access))
    }

    pub fn account_credentials(&self) -> Result<AccountCredentialsView> {
        let base = self.account_base()?;
        Ok(match self.access_token(&base) {
            Some((access, source)) => AccountCredentialsView { configured: true, user_id: Some(access.user_id), source },
            None => AccountCredentialsView { configured: false, user_id: None, source: KeySource::None },
        })
    }

    /// Checks the access token and user id with the platform, then keeps them. A token the
    /// platform refuses is not stored.
    pub async fn save_account_credentials(&self, input: AccountCredentialsInput) -> Result<AccountSummary> {
        let token = input.access_token.trim().to_string();
        if token.is_empty() {
            return Err(Error::InvalidInput("Enter the access token from the platform's console.".into()));
        }
        if input.user_id <= 0 {
            return Err(Error::InvalidInput("Enter your user id (a number, shown in the platform's console).".into()));
        }
        let (client, _) = self.connect()?;
        let access = AccessToken { token, user_id: input.user_id };
        let unit = display_unit(&client).await;
        let summary = summary(&AccountApi::new(&client, &access), &unit).await?;
        let base = client.base();
        self.keys.save(&token_entry(base), &access.token, input.storage)?;
        self.keys.save(&user_entry(base), &access.user_id.to_string(), input.storage)?;
        Ok(summary)
    }

    /// Credentials for this run only (the CLI's `--access-token`/`--user-id`): checked with
    /// the platform, kept in memory, and the saved ones left untouched.
    pub async fn use_account_credentials_for_run(&self, access_token: &str, user_id: i64) -> Result<AccountSummary> {
        let (client, _) = self.connect()?;
        let access = AccessToken { token: access_token.trim().to_string(), user_id };
        let unit = display_unit(&client).await;
        let summary = summary(&AccountApi::new(&client, &access), &unit).await?;
        self.keys.remember(&token_entry(client.base()), &access.token);
        self.keys.remember(&user_entry(client.base()), &user_id.to_string());
        Ok(summary)
    }

    pub fn forget_account_credentials(&self) -> Result<()> {
        let base = self.account_base()?;
        self.keys.forget(&token_entry(&base))?;
        self.keys.forget(&user_entry(&base))
    }

    /// What the API key alone can read. A wrong key is an error; parts the gateway does not
    /// offer are `None`.
    pub async fn key_overview(&self) -> Result<KeyOverview> {
        let (client, _) = self.connect()?;
        let unit = display_unit(&client).await;
        let key = platform::balance::key_status(&client, &unit).await?;
        let key = match key {
            Some(key) => Some(key),
            // Plain OpenAI-compatible gateways: the billing endpoints, when they exist.
            None => platform::balance::balance(&client).await?.map(|balance| crate::types::KeyStatus {
                name: None,
                balance,
                expires_at: None,
                expired: false,
                model_limits: Vec::new(),
            }),
        };
        let calls = platform::balance::key_calls(&client, &unit).await?;
        let currency = key.as_ref().map_or(unit.currency, |k| k.balance.currency.clone());
        Ok(KeyOverview { key, calls, currency })
    }

    /// The user's balance; `None` where the gateway has no account API.
    pub async fn account_summary(&self) -> Result<Option<AccountSummary>> {
        let (client, access) = self.account()?;
        let unit = display_unit(&client).await;
        offered(summary(&AccountApi::new(&client, &access), &unit).await)
    }

    pub async fn usage_logs(&self, query: LogQuery) -> Result<Option<LogPage>> {
        let (client, access) = self.account()?;
        let unit = display_unit(&client).await;
        let api = AccountApi::new(&client, &access);
        let page_size = if query.page_size == 0 { 20 } else { query.page_size.min(100) };
        let filter = LogFilter {
            page: query.page.max(1),
            page_size,
            kind: query.kind.and_then(LogKind::code),
            start: query.start,
            end: query.end,
            model: query.model,
            token_name: query.key_name,
        };
        let (logs, total) = match offered(api.logs(&filter).await)? {
            Some(found) => found,
            None => return Ok(None),
        };
        // The sum is a nicety: a gateway without the stat endpoint still lists.
        let spent = api.log_stat(&filter).await.ok().map(|s| unit.money(s.quota));
        let items = logs
            .into_iter()
            .map(|l| UsageLog {
                id: l.id,
                created_at: l.created_at,
                kind: LogKind::from_code(l.kind),
                model: l.model_name,
                key_name: l.token_name,
                prompt_tokens: l.prompt_tokens,
                completion_tokens: l.completion_tokens,
                cost: unit.money(l.quota),
                content: l.content,
            })
            .collect();
        Ok(Some(LogPage { items, total, page: filter.page, page_size, spent, currency: unit.currency }))
    }

    /// Spending per day and per model over a range, from the platform's quota data.
    pub async fn spending(&self, query: SpendingQuery) -> Result<Option<Spending>> {
        if query.end < query.start || query.end - query.start > MAX_SPENDING_DAYS * 86_400 {
            return Err(Error::InvalidInput("Choose a range of at most a year.".into()));
        }
        let (client, access) = self.account()?;
        let unit = display_unit(&client).await;
        let rows = match offered(AccountApi::new(&client, &access).quota_data(query.start, query.end).await)? {
            Some(rows) => rows,
            None => return Ok(None),
        };
        let rows = rows.into_iter().map(|r| SpendRow {
            at: r.created_at,
            model: r.model_name,
            quota: r.quota,
            requests: r.count,
            tokens: r.token_used,
        });
        Ok(Some(spending_of(rows, &query, &unit)))
    }

    /// The account's keys, masked, the one in use marked.
    pub async fn api_keys(&self) -> Result<Option<ApiKeyList>> {
        let (client, access) = self.account()?;
        let unit = display_unit(&client).await;
        let tokens = match offered(AccountApi::new(&client, &access).tokens().await)? {
            Some(tokens) => tokens,
            None => return Ok(None),
        };
        let active = self.key_for(client.base()).map(|(k, _)| k);
        let keys = tokens.into_iter().map(|t| api_key(t, &unit, active.as_deref())).collect();
        Ok(Some(ApiKeyList { keys, currency: unit.currency }))
    }

    /// Creates a key and returns it as the list shows it (new-api does not answer with it).
    pub async fn create_api_key(&self, input: ApiKeyInput) -> Result<ApiKey> {
        let (client, access) = self.account()?;
        let unit = display_unit(&client).await;
        let api = AccountApi::new(&client, &access);
        let wire = wire_token(WireToken::default(), &input, &unit)?;
        let before: Vec<i64> = api.tokens().await?.iter().map(|t| t.id).collect();
        api.create_token(&wire).await?;
        let created = api
            .tokens()
            .await?
            .into_iter()
            .filter(|t| !before.contains(&t.id) && t.name == wire.name)
            .max_by_key(|t| t.id)
            .ok_or_else(|| Error::InvalidResponse("the new key does not appear in the list".into()))?;
        Ok(api_key(created, &unit, None))
    }

    /// Changes a key's name, quota, expiry and model limits.
    pub async fn update_api_key(&self, id: i64, input: ApiKeyInput) -> Result<ApiKey> {
        let (client, access) = self.account()?;
        let unit = display_unit(&client).await;
        let api = AccountApi::new(&client, &access);
        let current = find_token(&api, id).await?;
        api.update_token(&wire_token(current, &input, &unit)?).await?;
        let active = self.key_for(client.base()).map(|(k, _)| k);
        Ok(api_key(find_token(&api, id).await?, &unit, active.as_deref()))
    }

    pub async fn set_api_key_enabled(&self, id: i64, enabled: bool) -> Result<ApiKey> {
        let (client, access) = self.account()?;
        let unit = display_unit(&client).await;
        let api = AccountApi::new(&client, &access);
        api.set_token_status(id, enabled).await?;
        let active = self.key_for(client.base()).map(|(k, _)| k);
        Ok(api_key(find_token(&api, id).await?, &unit, active.as_deref()))
    }

    pub async fn delete_api_key(&self, id: i64) -> Result<()> {
        let (client, access) = self.account()?;
        AccountApi::new(&client, &access).delete_token(id).await
    }

    /// The whole key, for the person to copy. Never logged or stored by this call.
    pub async fn reveal_api_key(&self, id: i64) -> Result<String> {
        let (client, access) = self.account()?;
        AccountApi::new(&client, &access).reveal_token(id).await
    }

    /// Makes one of the account's keys the app's key for the platform in use, kept where
    /// the current key is kept.
    pub async fn use_api_key(&self, id: i64) -> Result<ProfileView> {
        let base = match self.target()? {
            Target::Remote { base, .. } => base,
            Target::Demo { .. } => {
                return Err(Error::NotSupported {
                    message: "the demo platform always uses its own key; save a real platform in Settings first".into(),
                    request_id: None,
                })
            }
            Target::Nothing => return Err(Error::NotConfigured),
        };
        let key = self.reveal_api_key(id).await?;
        let storage = match self.keys.load(&base.to_string()) {
            Some((_, KeySource::Memory)) => KeyStorage::Memory,
            _ => KeyStorage::Keychain,
        };
        self.keys.save(&base.to_string(), &key, storage)?;
        self.profile_view()
    }

    /// Redeems a top-up code; the amount added, in the display currency.
    pub async fn redeem_code(&self, code: &str) -> Result<Redeemed> {
        let code = code.trim();
        if code.is_empty() {
            return Err(Error::InvalidInput("Enter the code to redeem.".into()));
        }
        let (client, access) = self.account()?;
        let unit = display_unit(&client).await;
        let added = AccountApi::new(&client, &access).redeem(code).await?;
        Ok(Redeemed { added: unit.money(added), currency: unit.currency })
    }
}

async fn summary(api: &AccountApi<'_>, unit: &DisplayUnit) -> Result<AccountSummary> {
    let user = api.user().await?;
    Ok(AccountSummary {
        user_id: user.id,
        username: user.username,
        display_name: user.display_name.filter(|n| !n.trim().is_empty()),
        group: user.group.filter(|g| !g.trim().is_empty()),
        balance: unit.money(user.quota),
        used: unit.money(user.used_quota),
        request_count: user.request_count,
        currency: unit.currency.clone(),
    })
}

/// A gateway without the account API (a plain OpenAI-compatible one) answers 404: the
/// panel is hidden, not an error.
fn offered<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(Error::NotOffered { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn find_token(api: &AccountApi<'_>, id: i64) -> Result<WireToken> {
    api.tokens()
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| Error::NotFound(format!("API key {id}")))
}

fn wire_token(mut token: WireToken, input: &ApiKeyInput, unit: &DisplayUnit) -> Result<WireToken> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(Error::InvalidInput("Give the key a name.".into()));
    }
    if input.quota.is_some_and(|q| !q.is_finite() || q < 0.0) {
        return Err(Error::InvalidInput("The quota must be zero or more.".into()));
    }
    token.name = name.to_string();
    token.unlimited_quota = input.quota.is_none();
    token.remain_quota = input.quota.map_or(0, |q| unit.quota(q));
    token.expired_time = input.expires_at.unwrap_or(-1);
    let limits: Vec<&str> = input.model_limits.iter().map(|m| m.trim()).filter(|m| !m.is_empty()).collect();
    token.model_limits_enabled = !limits.is_empty();
    token.model_limits = limits.join(",");
    Ok(token)
}

fn api_key(t: WireToken, unit: &DisplayUnit, active: Option<&str>) -> ApiKey {
    let now = unix_now();
    let expires_at = (t.expired_time > 0).then_some(t.expired_time);
    let status = match t.status {
        2 => ApiKeyStatus::Disabled,
        3 => ApiKeyStatus::Expired,
        4 => ApiKeyStatus::Exhausted,
        _ if expires_at.is_some_and(|e| e < now) => ApiKeyStatus::Expired,
        _ if !t.unlimited_quota && t.remain_quota <= 0 => ApiKeyStatus::Exhausted,
        _ => ApiKeyStatus::Enabled,
    };
    let masked_key = mask(&t.key);
    ApiKey {
        id: t.id,
        in_use: active.is_some_and(|key| same_masked(key, &t.key)),
        name: t.name,
        masked_key,
        status,
        created_at: t.created_time,
        expires_at,
        remaining: (!t.unlimited_quota).then(|| unit.money(t.remain_quota as f64)),
        used: unit.money(t.used_quota as f64),
        model_limits: t.model_limits.split(',').map(str::trim).filter(|m| !m.is_empty()).map(str::to_string).collect(),
    }
}

/// The list's key is masked already (`abcd**********wxyz`); an unmasked one from an older
/// gateway is masked here, so a full key never reaches the UI unasked.
fn mask(key: &str) -> String {
    let key = key.strip_prefix("sk-").unwrap_or(key);
    if key.contains('*') {
        return format!("sk-{key}");
    }
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "sk-****".into();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("sk-{head}**********{tail}")
}

/// Whether the key in use is the one the masked entry stands for.
fn same_masked(active: &str, listed: &str) -> bool {
    let active = active.trim().strip_prefix("sk-").unwrap_or(active.trim());
    let listed = listed.strip_prefix("sk-").unwrap_or(listed);
    match listed.split_once('*') {
        Some((head, rest)) => {
            let tail = rest.trim_start_matches('*');
            !head.is_empty() && active.len() > head.len() + tail.len() && active.starts_with(head) && active.ends_with(tail)
        }
        None => !listed.is_empty() && active == listed,
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

struct SpendRow {
    at: i64,
    model: String,
    quota: f64,
    requests: u32,
    tokens: i64,
}

/// Buckets quota rows by the viewer's day (every day of the range, empty ones too) and by
/// model, largest first.
fn spending_of(rows: impl Iterator<Item = SpendRow>, query: &SpendingQuery, unit: &DisplayUnit) -> Spending {
    let offset = i64::from(query.utc_offset_minutes) * 60;
    let day_of = |t: i64| (t + offset).div_euclid(86_400);
    let mut days: BTreeMap<i64, (f64, u32)> = (day_of(query.start)..=day_of(query.end)).map(|d| (d, (0.0, 0))).collect();
    let mut models: BTreeMap<String, (f64, u32, i64)> = BTreeMap::new();
    let mut total = 0.0;
    for row in rows {
        let amount = unit.money(row.quota);
        total += amount;
        let day = days.entry(day_of(row.at)).or_default();
        day.0 += amount;
        day.1 += row.requests;
        let name = if row.model.trim().is_empty() { "(unknown)".to_string() } else { row.model };
        let model = models.entry(name).or_default();
        model.0 += amount;
        model.1 += row.requests;
        model.2 += row.tokens;
    }
    let mut models: Vec<ModelSpending> = models
        .into_iter()
        .map(|(model, (amount, requests, tokens))| ModelSpending { model, amount, requests, tokens })
        .collect();
    models.sort_by(|a, b| b.amount.total_cmp(&a.amount).then_with(|| a.model.cmp(&b.model)));
    Spending {
        days: days
            .into_iter()
            .map(|(day, (amount, requests))| DaySpending { date: date_of(day), amount, requests })
            .collect(),
        models,
        total,
        currency: unit.currency.clone(),
    }
}

fn date_of(day: i64) -> String {
    let date = time::Date::from_julian_day((day + 2_440_588) as i32).unwrap_or(time::Date::MIN);
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> DisplayUnit {
        DisplayUnit { divisor: 500_000.0, currency: "USD".into() }
    }

    #[test]
    fn spending_fills_every_day_and_breaks_days_at_the_viewers_midnight() {
        // 2024-03-01T23:30:00Z is already 2 March in UTC+1.
        let at = 1_709_335_800;
        let query = SpendingQuery { start: at - 2 * 86_400, end: at, utc_offset_minutes: 60 };
        let rows = vec![
            SpendRow { at, model: "gpt-4o-mini".into(), quota: 250_000.0, requests: 2, tokens: 900 },
            SpendRow { at: at - 86_400, model: "gpt-image-1".into(), quota: 500_000.0, requests: 1, tokens: 10 },
        ];
        let spending = spending_of(rows.into_iter(), &query, &usd());
        let dates: Vec<&str> = spending.days.iter().map(|d| d.date.as_str()).collect();
        assert_eq!(dates, ["2024-02-29", "2024-03-01", "2024-03-02"]);
        assert_eq!(spending.days[0].amount, 0.0);
        assert_eq!(spending.days[2].amount, 0.5);
        assert_eq!(spending.models[0].model, "gpt-image-1");
        assert!((spending.total - 1.5).abs() < 1e-9);
    }

    #[test]
    fn masked_keys_match_the_key_in_use_only() {
        assert!(same_masked("sk-abcd1234567890wxyz", "abcd**********wxyz"));
        assert!(!same_masked("sk-abcd1234567890wxyq", "abcd**********wxyz"));
        assert!(!same_masked("sk-abcdwxyz", "abcd**********wxyz"));
        assert_eq!(mask("abcd1234567890wxyz"), "sk-abcd**********wxyz");
        assert_eq!(mask("abcd**********wxyz"), "sk-abcd**********wxyz");
    }

    #[test]
    fn a_new_key_takes_quota_in_money_and_limits_as_a_list() {
        let input = ApiKeyInput { name: " laptop ".into(), quota: Some(2.0), expires_at: None, model_limits: vec!["a".into(), " ".into(), "b".into()] };
        let token = wire_token(WireToken::default(), &input, &usd()).unwrap();
        assert_eq!((token.name.as_str(), token.remain_quota, token.expired_time), ("laptop", 1_000_000, -1));
        assert!(token.model_limits_enabled && token.model_limits == "a,b" && !token.unlimited_quota);
        let unlimited = ApiKeyInput { quota: None, ..input };
        assert!(wire_token(WireToken::default(), &unlimited, &usd()).unwrap().unlimited_quota);
    }
}
