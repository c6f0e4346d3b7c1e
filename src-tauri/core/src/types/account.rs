//! What the Account page and `nexhina account` / `keys` / `redeem` see. Money is already
//! converted with the platform's own unit settings (`/api/status`); `currency` names the
//! unit: `USD`, `CNY`, `tokens`, `quota` (no unit settings offered) or a custom symbol.

use serde::{Deserialize, Serialize};

use super::{Balance, KeySource, KeyStorage};

ipc_type! {
    /// The API key in use, from the key-only endpoints.
    pub struct KeyStatus {
        pub name: Option<String>,
        pub balance: Balance,
        /// Unix seconds; `None`: never expires.
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub expires_at: Option<i64>,
        pub expired: bool,
        /// Models the key is limited to; empty: any model.
        pub model_limits: Vec<String>,
    }
}

ipc_type! {
    /// One recent call made with the key in use.
    pub struct KeyCall {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub created_at: i64,
        pub model: String,
        pub prompt_tokens: u32,
        pub completion_tokens: u32,
        pub cost: f64,
    }
}

ipc_type! {
    /// What the API key alone can tell. A `None` part is not offered by the gateway and
    /// its panel is hidden.
    pub struct KeyOverview {
        pub key: Option<KeyStatus>,
        pub calls: Option<Vec<KeyCall>>,
        pub currency: String,
    }
}

ipc_type! {
    /// Whether an access token is kept for the platform in use (never the token itself).
    pub struct AccountCredentialsView {
        pub configured: bool,
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub user_id: Option<i64>,
        pub source: KeySource,
    }
}

ipc_type! {
    pub struct AccountCredentialsInput {
        pub access_token: String,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub user_id: i64,
        pub storage: KeyStorage,
    }
}

ipc_type! {
    pub struct AccountSummary {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub user_id: i64,
        pub username: String,
        pub display_name: Option<String>,
        pub group: Option<String>,
        /// What is left to spend.
        pub balance: f64,
        pub used: f64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub request_count: i64,
        pub currency: String,
    }
}

ipc_type! {
    /// new-api's log types: 1 top-up, 2 consumption, 3 management, 4 system, 5 error.
    #[serde(rename_all = "lowercase")]
    #[derive(Copy, Eq)]
    pub enum LogKind { Topup, Consume, Manage, System, Error, Other }
}

impl LogKind {
    pub fn from_code(code: i64) -> LogKind {
        match code {
            1 => LogKind::Topup,
            2 => LogKind::Consume,
            3 => LogKind::Manage,
            4 => LogKind::System,
            5 => LogKind::Error,
            _ => LogKind::Other,
        }
    }

    pub fn code(self) -> Option<i64> {
        match self {
            LogKind::Topup => Some(1),
            LogKind::Consume => Some(2),
            LogKind::Manage => Some(3),
            LogKind::System => Some(4),
            LogKind::Error => Some(5),
            LogKind::Other => None,
        }
    }
}

ipc_type! {
    pub struct UsageLog {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub id: i64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub created_at: i64,
        pub kind: LogKind,
        pub model: String,
        pub key_name: String,
        pub prompt_tokens: u32,
        pub completion_tokens: u32,
        pub cost: f64,
        pub content: String,
    }
}

ipc_type! {
    /// Filters and paging for the usage logs; `page` counts from 1.
    #[derive(Default)]
    pub struct LogQuery {
        #[serde(default)]
        pub page: u32,
        #[serde(default)]
        pub page_size: u32,
        /// Unix seconds, inclusive.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub start: Option<i64>,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub end: Option<i64>,
        #[serde(default)]
        pub model: Option<String>,
        #[serde(default)]
        pub key_name: Option<String>,
        #[serde(default)]
        pub kind: Option<LogKind>,
    }
}

ipc_type! {
    pub struct LogPage {
        pub items: Vec<UsageLog>,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub total: i64,
        pub page: u32,
        pub page_size: u32,
        /// What the matching calls cost, where the platform reports it.
        pub spent: Option<f64>,
        pub currency: String,
    }
}

ipc_type! {
    pub struct SpendingQuery {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub start: i64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub end: i64,
        /// The viewer's offset from UTC, so days break at their midnight.
        pub utc_offset_minutes: i32,
    }
}

ipc_type! {
    pub struct DaySpending {
        /// `YYYY-MM-DD` in the viewer's time zone.
        pub date: String,
        pub amount: f64,
        pub requests: u32,
    }
}

ipc_type! {
    pub struct ModelSpending {
        pub model: String,
        pub amount: f64,
        pub requests: u32,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub tokens: i64,
    }
}

ipc_type! {
    /// Spending per day (every day of the range, zeros included) and per model (largest first).
    pub struct Spending {
        pub days: Vec<DaySpending>,
        pub models: Vec<ModelSpending>,
        pub total: f64,
        pub currency: String,
    }
}

ipc_type! {
    #[serde(rename_all = "lowercase")]
    #[derive(Copy, Eq)]
    pub enum ApiKeyStatus { Enabled, Disabled, Expired, Exhausted }
}

ipc_type! {
    /// One of the account's API keys, masked.
    pub struct ApiKey {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub id: i64,
        pub name: String,
        pub masked_key: String,
        pub status: ApiKeyStatus,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub created_at: i64,
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub expires_at: Option<i64>,
        /// `None` when unlimited.
        pub remaining: Option<f64>,
        pub used: f64,
        pub model_limits: Vec<String>,
        /// The app uses this key now.
        pub in_use: bool,
    }
}

ipc_type! {
    pub struct ApiKeyList {
        pub keys: Vec<ApiKey>,
        pub currency: String,
    }
}

ipc_type! {
    /// A key to create, or the new settings of one.
    pub struct ApiKeyInput {
        pub name: String,
        /// In the display currency; `None`: unlimited.
        #[serde(default)]
        pub quota: Option<f64>,
        /// Unix seconds; `None`: never.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub expires_at: Option<i64>,
        #[serde(default)]
        pub model_limits: Vec<String>,
    }
}

ipc_type! {
    pub struct Redeemed {
        pub added: f64,
        pub currency: String,
    }
}
