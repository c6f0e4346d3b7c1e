//! Balance and usage, readable with the API key alone (plus the public `/api/status`).

use serde_json::json;

use axum::Extension;

use crate::gateway::{ok_json, Answer, Ctx, KeyOwner};
use crate::state::{QUOTA_GRANTED, QUOTA_PER_UNIT};

/// `GET /api/usage/token/` (the trailing slash matters: without it the platform 404s).
/// Answers for the key that asks, even an expired, disabled or used-up one.
pub(crate) async fn token_usage(ctx: Ctx, Extension(owner): Extension<KeyOwner>) -> Answer {
    let Some(token) = ctx.state.token(owner.0) else {
        return Err(ctx.gateway_error(401, "", "Invalid token"));
    };
    let limits: serde_json::Map<String, serde_json::Value> = token
        .model_limits
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(|m| (m.to_owned(), json!(true)))
        .collect();
    ok_json(&json!({
        "code": true,
        "message": "ok",
        "data": {
            "object": "token_usage",
            "name": token.name,
            "total_granted": token.remain_quota + token.used_quota,
            "total_used": token.used_quota,
            "total_available": token.remain_quota,
            "unlimited_quota": token.unlimited_quota,
            "model_limits": limits,
            "model_limits_enabled": token.model_limits_enabled,
            // new-api reports "never" as 0.
            "expires_at": token.expired_time.max(0),
        }
    }))
}

/// `GET /api/status`, public.
pub(crate) async fn status(ctx: Ctx) -> Answer {
    ok_json(&json!({
        "success": true,
        "message": "",
        "data": {
            "system_name": ctx.config().system_name,
            "version": "v0.9.0-simulator",
            "start_time": ctx.state.started_unix,
            "quota_per_unit": QUOTA_PER_UNIT,
            "display_in_currency": true,
            "quota_display_type": "USD",
            "usd_exchange_rate": 7.3,
            "price": 7.3,
            "server_address": ctx.base_url,
            "logo": "",
            "footer_html": "",
            "docs_link": "",
            "enable_drawing": true,
            "enable_task": true,
            "setup": true,
        }
    }))
}

fn usd(quota: i64) -> f64 {
    quota as f64 / QUOTA_PER_UNIT as f64
}

/// `GET /dashboard/billing/subscription`: limits in USD (100000000 would mean unlimited).
pub(crate) async fn subscription(_ctx: Ctx) -> Answer {
    let limit = usd(QUOTA_GRANTED);
    ok_json(&json!({
        "object": "billing_subscription",
        "has_payment_method": true,
        "soft_limit_usd": limit,
        "hard_limit_usd": limit,
        "system_hard_limit_usd": limit,
        "access_until": 0,
    }))
}

/// `GET /dashboard/billing/usage`: `total_usage` in US cents.
pub(crate) async fn usage(ctx: Ctx) -> Answer {
    ok_json(&json!({"object": "list", "total_usage": usd(ctx.state.used_quota()) * 100.0}))
}

/// `GET /api/log/token`: the key's recent calls, newest first.
pub(crate) async fn token_logs(ctx: Ctx, Extension(owner): Extension<KeyOwner>) -> Answer {
    let logs: Vec<_> = ctx.state.logs().into_iter().filter(|l| l.token_id == owner.0).collect();
    ok_json(&json!({"success": true, "message": "", "data": logs}))
}
