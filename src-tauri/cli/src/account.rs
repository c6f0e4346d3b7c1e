//! `nexhina account`, `nexhina keys`, `nexhina redeem`: the balance, usage logs, API keys
//! and top-up codes. Console calls need the platform's access token and user id, from
//! `account login`, or for one run from `--access-token`/`--user-id`.

use std::io::{BufRead, IsTerminal};

use clap::{Args, Subcommand};
use nexhina_core::types::{
    AccountCredentialsInput, ApiKey, ApiKeyInput, ApiKeyStatus, Balance, KeyStorage, LogKind, LogQuery,
};
use nexhina_core::{Error, Studio};
use serde_json::json;

#[derive(Args)]
pub struct Credentials {
    /// The platform console's access token, for this run only (otherwise the one saved by `account login`)
    #[arg(long, global = true, env = "NEXHINA_ACCESS_TOKEN", hide_env_values = true)]
    access_token: Option<String>,
    /// Your user id on the platform (shown in its console), with --access-token
    #[arg(long, global = true, env = "NEXHINA_USER_ID")]
    user_id: Option<i64>,
}

#[derive(Args)]
pub struct AccountArgs {
    #[command(subcommand)]
    command: Option<AccountCommand>,
    #[command(flatten)]
    credentials: Credentials,
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Usage logs, newest first
    Logs {
        /// From this day (YYYY-MM-DD, UTC)
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Up to and including this day (YYYY-MM-DD, UTC)
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        #[arg(long, value_name = "MODEL")]
        model: Option<String>,
        /// Only calls made with the key of this name
        #[arg(long, value_name = "NAME")]
        key: Option<String>,
        /// topup, consume, manage, system or error
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = 20)]
        page_size: u32,
    },
    /// Save the access token (read from standard input) and user id in the keychain
    Login {
        #[arg(long)]
        user_id: i64,
    },
    /// Remove the saved access token and user id
    Logout,
}

#[derive(Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
    #[command(flatten)]
    credentials: Credentials,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// The account's API keys, masked
    List,
    /// Create a key
    Create {
        name: String,
        /// Spending limit in the platform's display currency (default: unlimited)
        #[arg(long)]
        quota: Option<f64>,
        /// Last day the key works (YYYY-MM-DD, UTC; default: never expires)
        #[arg(long, value_name = "DATE")]
        expires: Option<String>,
        /// Models the key may use, comma-separated (default: any)
        #[arg(long, value_delimiter = ',')]
        models: Vec<String>,
    },
    Enable { id: i64 },
    Disable { id: i64 },
    Delete { id: i64 },
    /// Print the whole key
    Reveal { id: i64 },
    /// Make this key the one the app and the CLI use for the platform
    Use { id: i64 },
}

#[derive(Args)]
pub struct RedeemArgs {
    /// The top-up code
    code: String,
    #[command(flatten)]
    credentials: Credentials,
}

fn print_json(value: &serde_json::Value) -> Result<(), Error> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Credentials given for this run are kept in memory only, after the platform accepts them;
/// the ones `account login` saved stay in the keychain.
async fn sign_in(studio: &Studio, credentials: Credentials) -> Result<(), Error> {
    match (credentials.access_token, credentials.user_id) {
        (Some(token), Some(user_id)) => studio.use_account_credentials_for_run(&token, user_id).await.map(|_| ()),
        (Some(_), None) => Err(Error::InvalidInput("Give --user-id with --access-token.".into())),
        _ => Ok(()),
    }
}

pub fn money(amount: f64, currency: &str) -> String {
    match currency {
        "USD" => format!("${amount:.2}"),
        "CNY" => format!("¥{amount:.2}"),
        "tokens" | "quota" => format!("{} {currency}", amount.round() as i64),
        symbol => format!("{symbol}{amount:.2}"),
    }
}

fn balance_line(balance: &Balance) -> String {
    if balance.unlimited {
        return "unlimited".into();
    }
    let of = |v: Option<f64>| v.map_or("?".to_string(), |v| money(v, &balance.currency));
    format!("{} left of {} ({} used)", of(balance.available), of(balance.total), of(balance.used))
}

pub async fn account(studio: &Studio, args: AccountArgs, as_json: bool) -> Result<(), Error> {
    match args.command {
        None => {
            sign_in(studio, args.credentials).await?;
            overview(studio, as_json).await
        }
        Some(AccountCommand::Login { user_id }) => {
            let token = read_line("Paste the access token and press Enter:")?;
            let storage = KeyStorage::Keychain;
            let summary = studio.save_account_credentials(AccountCredentialsInput { access_token: token, user_id, storage }).await?;
            if as_json {
                return print_json(&serde_json::to_value(summary)?);
            }
            println!("Signed in as {} (user {}); the access token is in the keychain.", summary.username, summary.user_id);
            Ok(())
        }
        Some(AccountCommand::Logout) => {
            studio.forget_account_credentials()?;
            if !as_json {
                println!("The access token and user id are forgotten.");
            }
            Ok(())
        }
        Some(AccountCommand::Logs { since, until, model, key, kind, page, page_size }) => {
            sign_in(studio, args.credentials).await?;
            let kind = kind.as_deref().map(parse_kind).transpose()?;
            let query = LogQuery {
                page,
                page_size,
                start: since.as_deref().map(day_start).transpose()?,
                end: until.as_deref().map(|d| day_start(d).map(|t| t + 86_399)).transpose()?,
                model,
                key_name: key,
                kind,
            };
            let Some(page) = studio.usage_logs(query).await? else {
                return Err(not_offered("usage logs"));
            };
            if as_json {
                return print_json(&serde_json::to_value(page)?);
            }
            for log in &page.items {
                let what = if log.model.is_empty() { log.content.as_str() } else { log.model.as_str() };
                println!(
                    "{}  {:<8} {:<28} {:>7} in {:>7} out  {:>10}  {}",
                    datetime(log.created_at),
                    kind_name(log.kind),
                    what,
                    log.prompt_tokens,
                    log.completion_tokens,
                    money(log.cost, &page.currency),
                    log.key_name
                );
            }
            let pages = (page.total.max(0) as u64).div_ceil(u64::from(page.page_size.max(1)));
            print!("page {} of {}, {} entries", page.page, pages.max(1), page.total);
            if let Some(spent) = page.spent {
                print!(", {} spent", money(spent, &page.currency));
            }
            println!();
            Ok(())
        }
    }
}

async fn overview(studio: &Studio, as_json: bool) -> Result<(), Error> {
    let key = studio.key_overview().await?;
    let signed_in = studio.account_credentials()?.configured;
    let account = if signed_in { studio.account_summary().await? } else { None };
    if as_json {
        return print_json(&json!({ "key": key.key, "recent_calls": key.calls, "account": account }));
    }
    match &key.key {
        Some(status) => {
            let name = status.name.as_deref().map(|n| format!(" \"{n}\"")).unwrap_or_default();
            println!("API key{name}: {}", balance_line(&status.balance));
            match (status.expired, status.expires_at) {
                (true, Some(at)) => println!("  expired on {} (the platform refuses it)", datetime(at)),
                (false, Some(at)) => println!("  expires {}", datetime(at)),
                _ => {}
            }
            if !status.model_limits.is_empty() {
                println!("  limited to: {}", status.model_limits.join(", "));
            }
        }
        None => println!("API key: this platform does not report a balance"),
    }
    if let Some(account) = &account {
        println!(
            "Account {} (user {}): {} left, {} used, {} requests",
            account.username,
            account.user_id,
            money(account.balance, &account.currency),
            money(account.used, &account.currency),
            account.request_count
        );
    } else if !signed_in {
        println!("Account: not signed in (nexhina account login --user-id ID, with the console's access token)");
    }
    if let Some(calls) = key.calls.as_ref().filter(|c| !c.is_empty()) {
        println!("Recent calls with this key:");
        for call in calls.iter().take(5) {
            println!(
                "  {}  {:<28} {:>7} in {:>7} out  {}",
                datetime(call.created_at),
                call.model,
                call.prompt_tokens,
                call.completion_tokens,
                money(call.cost, &key.currency)
            );
        }
    }
    Ok(())
}

pub async fn keys(studio: &Studio, args: KeysArgs, as_json: bool) -> Result<(), Error> {
    sign_in(studio, args.credentials).await?;
    let done = |key: &ApiKey, what: &str| -> Result<(), Error> {
        if as_json {
            return print_json(&serde_json::to_value(key)?);
        }
        println!("{what} key {} \"{}\" ({})", key.id, key.name, key.masked_key);
        Ok(())
    };
    match args.command {
        KeysCommand::List => {
            let Some(list) = studio.api_keys().await? else {
                return Err(not_offered("API key management"));
            };
            if as_json {
                return print_json(&serde_json::to_value(list)?);
            }
            for key in &list.keys {
                let left = key.remaining.map_or("unlimited".to_string(), |r| money(r, &list.currency));
                let expires = key.expires_at.map_or("never".to_string(), datetime);
                let limits = if key.model_limits.is_empty() { String::new() } else { format!("  [{}]", key.model_limits.join(",")) };
                println!(
                    "{:>4}  {:<20} {:<28} {:<9} {:>12} left  expires {}{}{}",
                    key.id,
                    key.name,
                    key.masked_key,
                    status_name(key.status),
                    left,
                    expires,
                    limits,
                    if key.in_use { "  (in use)" } else { "" }
                );
            }
            Ok(())
        }
        KeysCommand::Create { name, quota, expires, models } => {
            let expires_at = expires.as_deref().map(|d| day_start(d).map(|t| t + 86_399)).transpose()?;
            let key = studio.create_api_key(ApiKeyInput { name, quota, expires_at, model_limits: models }).await?;
            done(&key, "Created")
        }
        KeysCommand::Enable { id } => done(&studio.set_api_key_enabled(id, true).await?, "Enabled"),
        KeysCommand::Disable { id } => done(&studio.set_api_key_enabled(id, false).await?, "Disabled"),
        KeysCommand::Delete { id } => {
            studio.delete_api_key(id).await?;
            if as_json {
                return print_json(&json!({ "deleted": id }));
            }
            println!("Deleted key {id}");
            Ok(())
        }
        KeysCommand::Reveal { id } => {
            let key = studio.reveal_api_key(id).await?;
            if as_json {
                return print_json(&json!({ "id": id, "key": key }));
            }
            println!("{key}");
            Ok(())
        }
        KeysCommand::Use { id } => {
            let profile = studio.use_api_key(id).await?;
            if as_json {
                return print_json(&serde_json::to_value(profile)?);
            }
            println!("Now using key {id} ({}) for {}", profile.key_hint.unwrap_or_default(), profile.base_url);
            Ok(())
        }
    }
}

pub async fn redeem(studio: &Studio, args: RedeemArgs, as_json: bool) -> Result<(), Error> {
    sign_in(studio, args.credentials).await?;
    let redeemed = studio.redeem_code(&args.code).await?;
    if as_json {
        return print_json(&serde_json::to_value(redeemed)?);
    }
    println!("Added {} to the account.", money(redeemed.added, &redeemed.currency));
    Ok(())
}

fn not_offered(what: &str) -> Error {
    Error::NotOffered { what: what.into(), request_id: None }
}

fn parse_kind(text: &str) -> Result<LogKind, Error> {
    match text.trim().to_ascii_lowercase().as_str() {
        "topup" | "top-up" => Ok(LogKind::Topup),
        "consume" => Ok(LogKind::Consume),
        "manage" => Ok(LogKind::Manage),
        "system" => Ok(LogKind::System),
        "error" => Ok(LogKind::Error),
        other => Err(Error::InvalidInput(format!("unknown log type {other:?}: use topup, consume, manage, system or error"))),
    }
}

fn kind_name(kind: LogKind) -> &'static str {
    match kind {
        LogKind::Topup => "top-up",
        LogKind::Consume => "call",
        LogKind::Manage => "manage",
        LogKind::System => "system",
        LogKind::Error => "error",
        LogKind::Other => "other",
    }
}

fn status_name(status: ApiKeyStatus) -> &'static str {
    match status {
        ApiKeyStatus::Enabled => "enabled",
        ApiKeyStatus::Disabled => "disabled",
        ApiKeyStatus::Expired => "expired",
        ApiKeyStatus::Exhausted => "used up",
    }
}

/// `YYYY-MM-DD` → Unix seconds at 00:00 UTC.
fn day_start(text: &str) -> Result<i64, Error> {
    let bad = || Error::InvalidInput(format!("{text:?} is not a date; use YYYY-MM-DD"));
    let mut parts = text.trim().splitn(3, '-').map(|p| p.parse::<i64>().map_err(|_| bad()));
    let (y, m, d) = (parts.next().ok_or_else(bad)??, parts.next().ok_or_else(bad)??, parts.next().ok_or_else(bad)??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    Ok(days_from_civil(y, m, d) * 86_400)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD HH:MM` in UTC.
fn datetime(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

fn read_line(prompt: &str) -> Result<String, Error> {
    if std::io::stdin().is_terminal() {
        eprintln!("{prompt}");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| Error::Internal(format!("could not read standard input: {e}")))?;
    let line = line.trim().to_string();
    if line.is_empty() {
        return Err(Error::NoAccessToken);
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(day_start("1970-01-01").unwrap(), 0);
        assert_eq!(day_start("2024-03-01").unwrap(), 1_709_251_200);
        assert_eq!(datetime(1_709_251_200 + 3_660), "2024-03-01 01:01");
        assert!(day_start("yesterday").is_err());
        assert!(day_start("2024-13-01").is_err());
    }

    #[test]
    fn money_uses_the_platforms_unit() {
        assert_eq!(money(12.345, "USD"), "$12.35");
        assert_eq!(money(3.0, "CNY"), "¥3.00");
        assert_eq!(money(1500.4, "tokens"), "1500 tokens");
    }
}
