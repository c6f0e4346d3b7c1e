//! Balance and usage, readable with the API key alone (plus the public `/api/status`).

use serde_json::json;

use crate::gateway::{ok_json, Answer, Ctx};
use crate::state::{QUOTA_GRANTED, QUOTA_PER_UNIT};

/// `GET /api/usage/token/` (the trailing slash matters: without it the platform 404s).
pub(crate) async fn token_usage(ctx: Ctx) -> Answer {
    let used = ctx.state.used_quota();
    ok_json(&json!({
        "code": true,
        "message": "ok",
        "data": {
            "object": "token_usage",
            "name": "demo key",
            "total_granted": QUOTA_GRANTED,
            "total_used": used,
            "total_available": (QUOTA_GRANTED - used).max(0),
            "unlimited_quota": false,
            "model_limits": {},
            "model_limits_enabled": false,
            "expires_at": 0,
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
pub(crate) async fn token_logs(ctx: Ctx) -> Answer {
    ok_json(&json!({"success": true, "message": "", "data": ctx.state.logs()}))
}
