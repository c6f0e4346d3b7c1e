//! The account through the studio, against the simulator: key-only figures, the access
//! token's calls, paging, the HTTP-200 failure envelope, wrong credentials, redeem codes,
//! and a gateway without any of it.

use nexhina_core::secrets::KeyStore;
use nexhina_core::types::{
    AccountCredentialsInput, ApiKeyInput, ApiKeyStatus, KeyStorage, LogKind, LogQuery, ProfileInput, SpendingQuery,
};
use nexhina_core::{Error, Studio, StudioOptions};
use nexhina_simulator::{FaultRule, Simulator};

use crate::{quick_retry, simulator, KEY};

const ACCESS_TOKEN: &str = "demo-access-token";

async fn studio(sim: &Simulator, dir: &std::path::Path) -> Studio {
    let options = StudioOptions { data_dir: dir.to_path_buf(), retry: Some(quick_retry()), ..StudioOptions::default() };
    let studio = Studio::open(options, KeyStore::new("nexhina-studio-it-account", None)).unwrap();
    let profile = ProfileInput { base_url: sim.base_url(), api_key: Some(KEY.into()), key_storage: KeyStorage::Memory };
    studio.save_profile(profile).unwrap();
    studio
}

fn credentials(token: &str, user_id: i64) -> AccountCredentialsInput {
    AccountCredentialsInput { access_token: token.into(), user_id, storage: KeyStorage::Memory }
}

async fn signed_in(sim: &Simulator, dir: &std::path::Path) -> Studio {
    let studio = studio(sim, dir).await;
    studio.save_account_credentials(credentials(ACCESS_TOKEN, 1)).await.unwrap();
    studio
}

#[tokio::test]
async fn the_key_alone_shows_its_balance_in_the_platforms_currency_and_its_calls() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = studio(&sim, dir.path()).await;
    let overview = studio.key_overview().await.unwrap();
    let key = overview.key.expect("new-api's token usage");
    assert_eq!(key.balance.currency, "USD");
    assert_eq!(key.balance.total, Some(100.0), "500 000 quota per USD, from /api/status");
    assert!(key.balance.available.unwrap() < 100.0);
    assert_eq!(key.name.as_deref(), Some("demo key"));
    assert!(!key.expired);
    let calls = overview.calls.expect("the key's logs");
    assert!(calls.len() > 3);
    assert!(calls.windows(2).all(|w| w[0].created_at >= w[1].created_at), "newest first");
    assert!(calls.iter().all(|c| c.cost > 0.0));
}

#[tokio::test]
async fn a_gateway_without_account_endpoints_hides_them_without_errors() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = signed_in(&sim, dir.path()).await;
    sim.push_fault(FaultRule { path_prefix: "/api/".into(), fault: "404".parse().unwrap(), times: 0 });
    let overview = studio.key_overview().await.unwrap();
    // The billing endpoints still answer, in USD.
    assert_eq!(overview.key.unwrap().balance.currency, "USD");
    assert!(overview.calls.is_none());
    assert!(studio.account_summary().await.unwrap().is_none());
    assert!(studio.usage_logs(LogQuery::default()).await.unwrap().is_none());
    assert!(studio.api_keys().await.unwrap().is_none());
}

#[tokio::test]
async fn the_account_shows_balance_logs_with_paging_and_filters_and_spending() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = studio(&sim, dir.path()).await;
    assert!(matches!(studio.account_summary().await, Err(Error::NoAccessToken)));
    let summary = studio.save_account_credentials(credentials(ACCESS_TOKEN, 1)).await.unwrap();
    assert_eq!(summary.user_id, 1);
    assert_eq!(summary.currency, "USD");
    assert!(summary.balance > 0.0 && summary.used > 0.0 && summary.request_count > 3);
    let view = studio.account_credentials().unwrap();
    assert!(view.configured);
    assert_eq!(view.user_id, Some(1));

    let first = studio.usage_logs(LogQuery { page: 1, page_size: 5, ..LogQuery::default() }).await.unwrap().unwrap();
    assert_eq!(first.items.len(), 5);
    assert!(first.total > 10);
    let second = studio.usage_logs(LogQuery { page: 2, page_size: 5, ..LogQuery::default() }).await.unwrap().unwrap();
    assert!(first.items.iter().all(|a| second.items.iter().all(|b| a.id != b.id)));
    let requests = sim.requests();
    let asked = requests.iter().rev().find(|r| r.path.starts_with("/api/log/self?")).unwrap();
    assert!(asked.path.contains("p=2") && asked.path.contains("page_size=5"), "{}", asked.path);
    assert_eq!(asked.header("new-api-user"), Some("1"));
    assert_eq!(asked.header("authorization"), Some(ACCESS_TOKEN), "the access token, not the API key");

    let images = studio
        .usage_logs(LogQuery { model: Some("gpt-image-1".into()), page_size: 100, ..LogQuery::default() })
        .await
        .unwrap()
        .unwrap();
    assert!(!images.items.is_empty() && images.items.iter().all(|l| l.model == "gpt-image-1"));
    let spent = images.spent.unwrap();
    assert!((spent - images.items.iter().map(|l| l.cost).sum::<f64>()).abs() < 1e-6);

    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let spending = studio
        .spending(SpendingQuery { start: now - 13 * 86_400, end: now, utc_offset_minutes: 0 })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(spending.days.len(), 14);
    assert!(spending.models.len() >= 3);
    assert!(spending.models.windows(2).all(|w| w[0].amount >= w[1].amount));
    let by_day: f64 = spending.days.iter().map(|d| d.amount).sum();
    assert!((by_day - spending.total).abs() < 1e-6);
}

#[tokio::test]
async fn a_wrong_access_token_or_user_id_is_refused_and_not_stored() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = studio(&sim, dir.path()).await;
    let wrong = studio.save_account_credentials(credentials("nope", 1)).await.unwrap_err();
    assert_eq!(wrong.code(), "access_token_refused", "{wrong}");
    let mismatched = studio.save_account_credentials(credentials(ACCESS_TOKEN, 7)).await.unwrap_err();
    assert_eq!(mismatched.code(), "user_id_mismatch", "{mismatched}");
    assert!(!studio.account_credentials().unwrap().configured);
}

#[tokio::test]
async fn keys_are_created_limited_disabled_revealed_switched_to_and_deleted() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = signed_in(&sim, dir.path()).await;
    let keys = studio.api_keys().await.unwrap().unwrap();
    assert!(keys.keys.iter().any(|k| k.in_use && k.name == "demo key"));
    assert!(keys.keys.iter().all(|k| k.masked_key.contains("****")));

    let input = ApiKeyInput { name: "laptop".into(), quota: Some(2.5), expires_at: None, model_limits: vec!["gpt-4o-mini".into()] };
    let created = studio.create_api_key(input).await.unwrap();
    assert_eq!((created.name.as_str(), created.remaining, created.status), ("laptop", Some(2.5), ApiKeyStatus::Enabled));
    assert_eq!(created.model_limits, ["gpt-4o-mini"]);

    let updated = studio
        .update_api_key(created.id, ApiKeyInput { name: "laptop".into(), quota: None, expires_at: Some(4_000_000_000), model_limits: vec![] })
        .await
        .unwrap();
    assert_eq!((updated.remaining, updated.expires_at), (None, Some(4_000_000_000)));
    assert!(updated.model_limits.is_empty());

    let disabled = studio.set_api_key_enabled(created.id, false).await.unwrap();
    assert_eq!(disabled.status, ApiKeyStatus::Disabled);
    assert_eq!(studio.set_api_key_enabled(created.id, true).await.unwrap().status, ApiKeyStatus::Enabled);

    let full = studio.reveal_api_key(created.id).await.unwrap();
    assert!(full.starts_with("sk-") && !full.contains('*'));
    let profile = studio.use_api_key(created.id).await.unwrap();
    assert!(profile.key_hint.unwrap().ends_with(&full[full.len() - 4..]));
    let keys = studio.api_keys().await.unwrap().unwrap();
    assert!(keys.keys.iter().find(|k| k.id == created.id).unwrap().in_use);
    // Relay calls now go out with the new key.
    sim.clear();
    studio.list_models().await.unwrap();
    let models = sim.requests().into_iter().find(|r| r.path == "/v1/models").unwrap();
    assert_eq!(models.header("authorization"), Some(format!("Bearer {full}").as_str()));

    studio.delete_api_key(created.id).await.unwrap();
    assert!(studio.api_keys().await.unwrap().unwrap().keys.iter().all(|k| k.id != created.id));
}

#[tokio::test]
async fn a_refusal_inside_http_200_is_an_error_shown_as_such() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = signed_in(&sim, dir.path()).await;
    let long = ApiKeyInput { name: "x".repeat(40), quota: None, expires_at: None, model_limits: vec![] };
    let error = studio.create_api_key(long).await.unwrap_err();
    assert_eq!(error.code(), "bad_request");
    assert!(error.to_string().contains("令牌名称过长"), "{error}");
    let missing = studio.delete_api_key(999).await.unwrap_err();
    assert_eq!(missing.code(), "bad_request", "{missing}");
}

#[tokio::test]
async fn an_expired_key_still_shows_its_balance() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = signed_in(&sim, dir.path()).await;
    let old = ApiKeyInput { name: "old".into(), quota: Some(1.0), expires_at: Some(1_000_000_000), model_limits: vec![] };
    let created = studio.create_api_key(old).await.unwrap();
    assert_eq!(created.status, ApiKeyStatus::Expired);
    studio.use_api_key(created.id).await.unwrap();
    assert_eq!(studio.list_models().await.unwrap_err().code(), "unauthorized");
    let key = studio.key_overview().await.unwrap().key.unwrap();
    assert!(key.expired);
    assert_eq!(key.expires_at, Some(1_000_000_000));
    assert_eq!(key.balance.available, Some(1.0));
}

#[tokio::test]
async fn a_redeem_code_adds_money_once_and_a_failure_is_explained_kindly() {
    let sim = simulator().await;
    sim.add_redemption_code("GIFT-5", 2_500_000);
    let dir = tempfile::tempdir().unwrap();
    let studio = signed_in(&sim, dir.path()).await;
    let before = studio.account_summary().await.unwrap().unwrap().balance;
    let redeemed = studio.redeem_code(" GIFT-5 ").await.unwrap();
    assert_eq!((redeemed.added, redeemed.currency.as_str()), (5.0, "USD"));
    let after = studio.account_summary().await.unwrap().unwrap().balance;
    assert!((after - before - 5.0).abs() < 1e-9);
    let topups = studio.usage_logs(LogQuery { kind: Some(LogKind::Topup), ..LogQuery::default() }).await.unwrap().unwrap();
    assert_eq!(topups.total, 1);

    let again = studio.redeem_code("GIFT-5").await.unwrap_err();
    assert_eq!(again.code(), "redeem_refused");
    assert!(again.to_string().contains("does not say why"), "{again}");
    let redeems = sim.requests().iter().filter(|r| r.path == "/api/user/topup").count();
    assert_eq!(redeems, 2, "a redeem is never sent twice");
}
