//! The account API of new-api: the user, its usage logs and quota data, its API keys
//! ("tokens") and redeem codes. Reached with a personal access token plus a
//! `New-Api-User: <id>` header, never with an API key. Answers are
//! `{"success","message","data"}`, with HTTP 200 even when `success` is false.
//!
//! Relay calls are billed to the demo key whichever key made them; the simulator keeps
//! one user.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::gateway::{json_response, ok_json, Answer, BufferedBody, Ctx};
use crate::state::{unix_now, LogEntry, SimState, QUOTA_PER_UNIT};

/// What the user was granted before any redeem code (the demo key has 100 of it).
pub(crate) const USER_GRANTED: i64 = 200 * QUOTA_PER_UNIT;

/// One of the user's API keys, in new-api's field names. `key` is kept without `sk-`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct SimToken {
    pub id: u64,
    pub user_id: u64,
    pub key: String,
    pub status: u8,
    pub name: String,
    pub created_time: i64,
    pub accessed_time: i64,
    /// `-1`: never expires.
    pub expired_time: i64,
    pub remain_quota: i64,
    pub used_quota: i64,
    pub unlimited_quota: bool,
    pub model_limits_enabled: bool,
    pub model_limits: String,
    pub allow_ips: String,
    pub group: String,
}

pub(crate) const TOKEN_ENABLED: u8 = 1;
pub(crate) const TOKEN_DISABLED: u8 = 2;

impl SimToken {
    pub fn expired(&self, now: i64) -> bool {
        self.expired_time != -1 && self.expired_time < now
    }

    pub fn exhausted(&self) -> bool {
        !self.unlimited_quota && self.remain_quota <= 0
    }

    /// How new-api lists a key: the first and last four characters.
    fn masked(&self) -> SimToken {
        let mut copy = self.clone();
        let chars: Vec<char> = self.key.chars().collect();
        if chars.len() > 8 {
            let head: String = chars[..4].iter().collect();
            let tail: String = chars[chars.len() - 4..].iter().collect();
            copy.key = format!("{head}**********{tail}");
        }
        copy
    }
}

/// A key's state, checked before a relay call (expired, disabled and used-up keys are
/// refused; the balance endpoints still answer for them).
pub(crate) enum KeyCheck {
    Usable(u64),
    Refused(u64, &'static str, &'static str),
    Unknown,
}

impl SimState {
    pub fn check_key(&self, presented: &str) -> KeyCheck {
        let key = presented.strip_prefix("sk-").unwrap_or(presented);
        if key.is_empty() {
            return KeyCheck::Unknown;
        }
        let inner = self.lock();
        let Some(token) = inner.tokens.iter().find(|t| t.key == key) else {
            return KeyCheck::Unknown;
        };
        let token = self.with_demo_usage(token.clone(), inner.used_quota);
        if token.status == TOKEN_DISABLED {
            KeyCheck::Refused(token.id, "该令牌状态不可用", "This token is disabled")
        } else if token.expired(unix_now() as i64) {
            KeyCheck::Refused(token.id, "该令牌已过期", "This token has expired")
        } else if token.exhausted() {
            KeyCheck::Refused(token.id, "该令牌额度已用尽", "This token's quota is used up")
        } else {
            KeyCheck::Usable(token.id)
        }
    }

    /// The demo key's figures follow what the relay calls used.
    fn with_demo_usage(&self, mut token: SimToken, used: i64) -> SimToken {
        if token.id == 1 {
            token.used_quota = used;
            token.remain_quota = (crate::state::QUOTA_GRANTED - used).max(0);
        }
        token
    }

    pub fn token(&self, id: u64) -> Option<SimToken> {
        let inner = self.lock();
        let used = inner.used_quota;
        inner.tokens.iter().find(|t| t.id == id).cloned().map(|t| self.with_demo_usage(t, used))
    }

    /// Newest first, as the console lists them.
    fn tokens(&self) -> Vec<SimToken> {
        let inner = self.lock();
        let used = inner.used_quota;
        inner.tokens.iter().rev().cloned().map(|t| self.with_demo_usage(t, used)).collect()
    }

    pub fn add_redemption(&self, code: String, quota: i64) {
        self.lock().redemptions.insert(code, (quota, false));
    }

    fn redeem(&self, code: &str) -> Option<i64> {
        let mut inner = self.lock();
        let quota = match inner.redemptions.get_mut(code) {
            Some((quota, used @ false)) => {
                *used = true;
                *quota
            }
            _ => return None,
        };
        inner.redeemed_quota += quota;
        let id = inner.next_log_id;
        inner.next_log_id += 1;
        inner.logs.push_back(LogEntry {
            id,
            user_id: self.config.user_id,
            created_at: unix_now(),
            kind: 1,
            content: format!("通过兑换码充值 ＄{:.6} 额度", quota as f64 / QUOTA_PER_UNIT as f64),
            username: "demo".into(),
            token_name: String::new(),
            model_name: String::new(),
            quota,
            prompt_tokens: 0,
            completion_tokens: 0,
            use_time: 0,
            is_stream: false,
            channel: 0,
            token_id: 0,
            group: "default".into(),
            other: String::new(),
        });
        Some(quota)
    }
}

/// new-api's `UserAuth` with an access token: no token, a wrong token, and a missing or
/// mismatched `New-Api-User` each answer `success: false` (the wrong token with HTTP 200).
pub(crate) async fn require_access_token(State(state): State<Arc<SimState>>, request: Request, next: Next) -> Response {
    let chinese = crate::gateway::prefers_chinese(request.headers());
    let say = |zh: &str, en: &str| if chinese { zh.to_owned() } else { en.to_owned() };
    let refuse = |status: StatusCode, message: String| {
        json_response(status, &json!({"success": false, "message": message}))
    };
    let token = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_start_matches("Bearer ").trim().to_owned())
        .unwrap_or_default();
    if token.is_empty() {
        return refuse(
            StatusCode::UNAUTHORIZED,
            say("无权进行此操作，未登录且未提供 access token", "Unauthorized: not logged in and no access token given"),
        );
    }
    if token != state.config.access_token {
        return refuse(StatusCode::OK, say("无权进行此操作，access token 无效", "Unauthorized: the access token is invalid"));
    }
    let user = request.headers().get("new-api-user").and_then(|v| v.to_str().ok()).map(str::trim);
    match user.map(str::parse::<u64>) {
        None => refuse(
            StatusCode::UNAUTHORIZED,
            say("无权进行此操作，未提供 New-Api-User", "Unauthorized: no New-Api-User header"),
        ),
        Some(Err(_)) => refuse(
            StatusCode::UNAUTHORIZED,
            say("无权进行此操作，New-Api-User 格式错误", "Unauthorized: New-Api-User is not a number"),
        ),
        Some(Ok(id)) if id != state.config.user_id => refuse(
            StatusCode::UNAUTHORIZED,
            say("无权进行此操作，New-Api-User 与登录用户不匹配", "Unauthorized: New-Api-User does not match the logged-in user"),
        ),
        Some(Ok(_)) => next.run(request).await,
    }
}

fn success(data: Value) -> Answer {
    ok_json(&json!({"success": true, "message": "", "data": data}))
}

/// `success: false` with HTTP 200, as every account handler of new-api fails.
fn failure(message: &str) -> Answer {
    ok_json(&json!({"success": false, "message": message}))
}

/// `GET /api/user/self`.
pub(crate) async fn user_self(ctx: Ctx) -> Answer {
    let inner = ctx.state.lock();
    let quota = USER_GRANTED + inner.redeemed_quota - inner.used_quota;
    success(json!({
        "id": ctx.config().user_id,
        "username": "demo",
        "display_name": "Demo User",
        "role": 1,
        "status": 1,
        "email": "",
        "group": "default",
        "quota": quota,
        "used_quota": inner.used_quota,
        "request_count": inner.request_count,
        "aff_code": "demo",
        "setting": "",
    }))
}

#[derive(Deserialize, Default)]
pub(crate) struct LogFilter {
    #[serde(default)]
    p: Option<u64>,
    #[serde(default)]
    page_size: Option<u64>,
    #[serde(default, rename = "type")]
    kind: Option<u8>,
    #[serde(default)]
    start_timestamp: Option<u64>,
    #[serde(default)]
    end_timestamp: Option<u64>,
    #[serde(default)]
    model_name: Option<String>,
    #[serde(default)]
    token_name: Option<String>,
}

impl LogFilter {
    fn keeps(&self, log: &LogEntry) -> bool {
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        self.kind.is_none_or(|k| k == 0 || k == log.kind)
            && self.start_timestamp.is_none_or(|t| t == 0 || log.created_at >= t)
            && self.end_timestamp.is_none_or(|t| t == 0 || log.created_at <= t)
            && text(&self.model_name).is_none_or(|m| m == log.model_name)
            && text(&self.token_name).is_none_or(|n| n == log.token_name)
    }

    fn matching(&self, state: &SimState) -> Vec<LogEntry> {
        state.logs().into_iter().filter(|log| self.keeps(log)).collect()
    }
}

/// `GET /api/log/self`: one page (`p` from 1) of the user's logs, newest first.
pub(crate) async fn logs(ctx: Ctx, Query(filter): Query<LogFilter>) -> Answer {
    let logs = filter.matching(&ctx.state);
    let page = filter.p.unwrap_or(1).max(1);
    let size = filter.page_size.unwrap_or(10).clamp(1, 100);
    let items: Vec<&LogEntry> = logs.iter().skip(((page - 1) * size) as usize).take(size as usize).collect();
    success(json!({"page": page, "page_size": size, "total": logs.len(), "items": items}))
}

/// `GET /api/log/self/stat`: the quota the matching logs consumed.
pub(crate) async fn log_stat(ctx: Ctx, Query(filter): Query<LogFilter>) -> Answer {
    let quota: i64 = filter.matching(&ctx.state).iter().filter(|l| l.kind == 2).map(|l| l.quota).sum();
    success(json!({"quota": quota, "rpm": 0, "tpm": 0}))
}

/// `GET /api/data/self`: consumption per model per hour, as new-api's dashboard reads it.
pub(crate) async fn quota_data(ctx: Ctx, Query(filter): Query<LogFilter>) -> Answer {
    let range = LogFilter { start_timestamp: filter.start_timestamp, end_timestamp: filter.end_timestamp, kind: Some(2), ..LogFilter::default() };
    let mut buckets: BTreeMap<(u64, String), (u64, u64, i64)> = BTreeMap::new();
    for log in range.matching(&ctx.state) {
        let hour = log.created_at - log.created_at % 3600;
        let bucket = buckets.entry((hour, log.model_name.clone())).or_default();
        bucket.0 += log.prompt_tokens + log.completion_tokens;
        bucket.1 += 1;
        bucket.2 += log.quota;
    }
    let user_id = ctx.config().user_id;
    let rows: Vec<Value> = buckets
        .into_iter()
        .enumerate()
        .map(|(i, ((hour, model), (tokens, count, quota)))| {
            json!({"id": i + 1, "user_id": user_id, "username": "demo", "model_name": model,
                   "created_at": hour, "token_used": tokens, "count": count, "quota": quota})
        })
        .collect();
    success(json!(rows))
}

#[derive(Deserialize)]
pub(crate) struct Paging {
    #[serde(default)]
    p: Option<u64>,
    #[serde(default)]
    page_size: Option<u64>,
}

/// `GET /api/token/`: the user's keys, masked.
pub(crate) async fn list_tokens(ctx: Ctx, Query(paging): Query<Paging>) -> Answer {
    let tokens = ctx.state.tokens();
    let page = paging.p.unwrap_or(1).max(1);
    let size = paging.page_size.unwrap_or(10).clamp(1, 100);
    let items: Vec<SimToken> =
        tokens.iter().skip(((page - 1) * size) as usize).take(size as usize).map(SimToken::masked).collect();
    success(json!({"page": page, "page_size": size, "total": tokens.len(), "items": items}))
}

#[derive(Deserialize)]
struct TokenFields {
    #[serde(default)]
    id: u64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: Option<u8>,
    #[serde(default)]
    remain_quota: i64,
    #[serde(default = "never")]
    expired_time: i64,
    #[serde(default)]
    unlimited_quota: bool,
    #[serde(default)]
    model_limits_enabled: bool,
    #[serde(default)]
    model_limits: String,
    #[serde(default)]
    group: String,
}

fn never() -> i64 {
    -1
}

fn token_fields(body: &BufferedBody) -> Result<TokenFields, Response> {
    serde_json::from_slice(&body.0).map_err(|e| {
        json_response(StatusCode::OK, &json!({"success": false, "message": format!("无效的参数: {e}")}))
    })
}

/// `POST /api/token/`: new-api answers without the new key; the list shows it.
pub(crate) async fn create_token(ctx: Ctx, axum::Extension(body): axum::Extension<BufferedBody>) -> Answer {
    let fields = token_fields(&body)?;
    if fields.name.chars().count() > 30 {
        return failure("令牌名称过长");
    }
    let now = unix_now() as i64;
    let key = format!("{:x}{}", now, ctx.state.new_id("")).chars().filter(char::is_ascii_alphanumeric).collect::<String>();
    let mut inner = ctx.state.lock();
    let id = inner.tokens.iter().map(|t| t.id).max().unwrap_or(0) + 1;
    inner.tokens.push(SimToken {
        id,
        user_id: ctx.config().user_id,
        key: format!("{key:0>48}"),
        status: TOKEN_ENABLED,
        name: fields.name,
        created_time: now,
        accessed_time: now,
        expired_time: fields.expired_time,
        remain_quota: fields.remain_quota,
        used_quota: 0,
        unlimited_quota: fields.unlimited_quota,
        model_limits_enabled: fields.model_limits_enabled,
        model_limits: fields.model_limits,
        allow_ips: String::new(),
        group: fields.group,
    });
    ok_json(&json!({"success": true, "message": ""}))
}

#[derive(Deserialize)]
pub(crate) struct UpdateMode {
    #[serde(default)]
    status_only: Option<String>,
}

/// `PUT /api/token/` (`?status_only=true` changes only `status`).
pub(crate) async fn update_token(
    ctx: Ctx,
    Query(mode): Query<UpdateMode>,
    axum::Extension(body): axum::Extension<BufferedBody>,
) -> Answer {
    let fields = token_fields(&body)?;
    let now = unix_now() as i64;
    let status_only = mode.status_only.is_some_and(|v| !v.is_empty() && v != "false");
    {
        let mut inner = ctx.state.lock();
        let Some(token) = inner.tokens.iter_mut().find(|t| t.id == fields.id) else {
            return failure("record not found");
        };
        if !status_only {
            token.name = fields.name;
            token.expired_time = fields.expired_time;
            token.remain_quota = fields.remain_quota;
            token.unlimited_quota = fields.unlimited_quota;
            token.model_limits_enabled = fields.model_limits_enabled;
            token.model_limits = fields.model_limits;
            token.group = fields.group;
        }
        if let Some(status) = fields.status.filter(|s| *s == TOKEN_ENABLED || *s == TOKEN_DISABLED) {
            if status == TOKEN_ENABLED && token.expired(now) {
                return failure("令牌已过期，无法启用，请先修改令牌过期时间，或者设置为永不过期");
            }
            token.status = status;
        }
    }
    let token = ctx.state.token(fields.id).map(|t| t.masked());
    success(json!(token))
}

/// `DELETE /api/token/{id}`.
pub(crate) async fn delete_token(ctx: Ctx, Path(id): Path<u64>) -> Answer {
    let mut inner = ctx.state.lock();
    let before = inner.tokens.len();
    inner.tokens.retain(|t| t.id != id);
    if inner.tokens.len() == before {
        return failure("record not found");
    }
    ok_json(&json!({"success": true, "message": ""}))
}

/// `POST /api/token/{id}/key`: the whole key, without `sk-`.
pub(crate) async fn reveal_token(ctx: Ctx, Path(id): Path<u64>) -> Answer {
    match ctx.state.token(id) {
        Some(token) => success(json!({"key": token.key})),
        None => failure("record not found"),
    }
}

#[derive(Deserialize)]
struct RedeemRequest {
    #[serde(default)]
    key: String,
}

/// `POST /api/user/topup`: redeems a code. A failure never says why (unknown, used, or
/// expired look alike), as on new-api.
pub(crate) async fn redeem(ctx: Ctx, axum::Extension(body): axum::Extension<BufferedBody>) -> Answer {
    let code = serde_json::from_slice::<RedeemRequest>(&body.0).map(|r| r.key.trim().to_owned()).unwrap_or_default();
    if code.is_empty() {
        return failure("请输入兑换码！");
    }
    match ctx.state.redeem(&code) {
        Some(quota) => success(json!(quota)),
        None => failure("兑换失败，请稍后重试"),
    }
}

/// The key the simulator was started with is the user's first key; two redeem codes
/// exist from the start so the demo can show a top-up.
pub(crate) fn seed(state: &SimState) {
    let now = unix_now() as i64;
    let key = state.config.api_key.strip_prefix("sk-").unwrap_or(&state.config.api_key).to_owned();
    let mut inner = state.lock();
    inner.tokens.push(SimToken {
        id: 1,
        user_id: state.config.user_id,
        key,
        status: TOKEN_ENABLED,
        name: "demo key".into(),
        created_time: now - 30 * 86_400,
        accessed_time: now,
        expired_time: -1,
        remain_quota: crate::state::QUOTA_GRANTED,
        used_quota: 0,
        unlimited_quota: false,
        model_limits_enabled: false,
        model_limits: String::new(),
        allow_ips: String::new(),
        group: "default".into(),
    });
    for (code, usd) in [("NEXHINA-DEMO-10", 10), ("NEXHINA-DEMO-25", 25)] {
        inner.redemptions.insert(code.into(), (usd * QUOTA_PER_UNIT, false));
    }
}
