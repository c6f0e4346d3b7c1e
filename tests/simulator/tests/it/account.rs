//! The account API: access token + `New-Api-User`, `success:false` with HTTP 200, keys
//! the relay honours or refuses, and redeem codes.

use nexhina_simulator::Simulator;
use reqwest::RequestBuilder;
use serde_json::{json, Value};

use crate::{client, get, json, start};

const TOKEN: &str = "demo-access-token";

fn account(sim: &Simulator, method: reqwest::Method, path: &str) -> RequestBuilder {
    client()
        .request(method, format!("{}{path}", sim.base_url()))
        .header("Authorization", TOKEN)
        .header("New-Api-User", "1")
}

async fn ok(request: RequestBuilder) -> Value {
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    assert_eq!(body["success"], true, "{body}");
    body["data"].clone()
}

#[tokio::test]
async fn the_access_token_and_user_id_are_both_checked() {
    let sim = start().await;
    let user = ok(account(&sim, reqwest::Method::GET, "/api/user/self")).await;
    assert_eq!(user["id"], 1);
    assert!(user["quota"].as_i64().unwrap() > 0);
    assert!(user["request_count"].as_u64().unwrap() > 3);

    // A wrong token: HTTP 200 and success false, as new-api answers it.
    let wrong = client()
        .get(format!("{}/api/user/self", sim.base_url()))
        .header("Authorization", "Bearer nope")
        .header("New-Api-User", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 200);
    let body = json(wrong).await;
    assert_eq!(body["success"], false);
    assert!(body["message"].as_str().unwrap().contains("access token"));

    let mismatched = client()
        .get(format!("{}/api/user/self", sim.base_url()))
        .header("Authorization", TOKEN)
        .header("New-Api-User", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(mismatched.status(), 401);
    assert!(json(mismatched).await["message"].as_str().unwrap().contains("New-Api-User"));

    // The API key is not an access token.
    let with_key = get(&sim, "/api/user/self").header("New-Api-User", "1").send().await.unwrap();
    assert_eq!(json(with_key).await["success"], false);
}

#[tokio::test]
async fn logs_page_and_filter_and_quota_data_sums_them() {
    let sim = start().await;
    let first = ok(account(&sim, reqwest::Method::GET, "/api/log/self?p=1&page_size=5")).await;
    let total = first["total"].as_u64().unwrap();
    assert!(total > 10, "two weeks of seeded history");
    assert_eq!(first["items"].as_array().unwrap().len(), 5);
    let second = ok(account(&sim, reqwest::Method::GET, "/api/log/self?p=2&page_size=5")).await;
    assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
    assert!(first["items"][4]["created_at"].as_u64() >= second["items"][0]["created_at"].as_u64());

    let images = ok(account(&sim, reqwest::Method::GET, "/api/log/self?model_name=gpt-image-1&page_size=100")).await;
    let items = images["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|l| l["model_name"] == "gpt-image-1"));

    let stat = ok(account(&sim, reqwest::Method::GET, "/api/log/self/stat?type=2")).await;
    let data = ok(account(&sim, reqwest::Method::GET, "/api/data/self?start_timestamp=0&end_timestamp=0")).await;
    let summed: i64 = data.as_array().unwrap().iter().map(|r| r["quota"].as_i64().unwrap()).sum();
    assert_eq!(stat["quota"].as_i64().unwrap(), summed);
}

#[tokio::test]
async fn keys_are_created_masked_revealed_disabled_and_deleted() {
    let sim = start().await;
    let created = ok(account(&sim, reqwest::Method::POST, "/api/token/").json(&json!({
        "name": "laptop", "remain_quota": 500000, "expired_time": -1, "unlimited_quota": false,
        "model_limits_enabled": true, "model_limits": "gpt-4o-mini"
    })))
    .await;
    assert!(created.is_null(), "new-api does not return the new key");
    let list = ok(account(&sim, reqwest::Method::GET, "/api/token/?p=1&page_size=10")).await;
    let laptop = list["items"][0].clone();
    assert_eq!(laptop["name"], "laptop");
    assert!(laptop["key"].as_str().unwrap().contains("**********"));
    let id = laptop["id"].as_u64().unwrap();
    let key = ok(account(&sim, reqwest::Method::POST, &format!("/api/token/{id}/key"))).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!key.contains('*'));

    let models = |k: &str| client().get(format!("{}/v1/models", sim.base_url())).bearer_auth(format!("sk-{k}"));
    assert_eq!(models(&key).send().await.unwrap().status(), 200);
    let usage = json(client().get(format!("{}/api/usage/token/", sim.base_url())).bearer_auth(&key).send().await.unwrap()).await;
    assert_eq!(usage["data"]["name"], "laptop");
    assert_eq!(usage["data"]["total_available"], 500000);

    ok(account(&sim, reqwest::Method::PUT, "/api/token/?status_only=true").json(&json!({"id": id, "status": 2}))).await;
    assert_eq!(models(&key).send().await.unwrap().status(), 401);

    let response = account(&sim, reqwest::Method::DELETE, &format!("/api/token/{id}")).send().await.unwrap();
    assert_eq!(json(response).await["success"], true);
    assert_eq!(models(&key).send().await.unwrap().status(), 401);
    let again = json(account(&sim, reqwest::Method::DELETE, &format!("/api/token/{id}")).send().await.unwrap()).await;
    assert_eq!(again["success"], false);
}

#[tokio::test]
async fn an_expired_key_is_refused_but_still_reads_its_balance() {
    let sim = start().await;
    ok(account(&sim, reqwest::Method::POST, "/api/token/").json(&json!({
        "name": "old", "remain_quota": 250000, "expired_time": 1_000_000_000
    })))
    .await;
    let list = ok(account(&sim, reqwest::Method::GET, "/api/token/")).await;
    let id = list["items"][0]["id"].as_u64().unwrap();
    let key = ok(account(&sim, reqwest::Method::POST, &format!("/api/token/{id}/key"))).await["key"].as_str().unwrap().to_owned();
    let relay = client().get(format!("{}/v1/models", sim.base_url())).bearer_auth(&key).send().await.unwrap();
    assert_eq!(relay.status(), 401);
    assert!(json(relay).await["error"]["message"].as_str().unwrap().contains("expired"));
    let usage = json(client().get(format!("{}/api/usage/token/", sim.base_url())).bearer_auth(&key).send().await.unwrap()).await;
    assert_eq!(usage["data"]["expires_at"], 1_000_000_000);
    assert_eq!(usage["data"]["total_available"], 250000);

    let enable = json(account(&sim, reqwest::Method::PUT, "/api/token/?status_only=true").json(&json!({"id": id, "status": 1})).send().await.unwrap()).await;
    assert_eq!(enable["success"], false);
}

#[tokio::test]
async fn a_code_redeems_once_and_a_failure_does_not_say_why() {
    let sim = start().await;
    sim.add_redemption_code("GIFT-1", 1_000_000);
    let before = ok(account(&sim, reqwest::Method::GET, "/api/user/self")).await["quota"].as_i64().unwrap();
    let added = ok(account(&sim, reqwest::Method::POST, "/api/user/topup").json(&json!({"key": "GIFT-1"}))).await;
    assert_eq!(added, 1_000_000);
    let after = ok(account(&sim, reqwest::Method::GET, "/api/user/self")).await["quota"].as_i64().unwrap();
    assert_eq!(after - before, 1_000_000);
    let topups = ok(account(&sim, reqwest::Method::GET, "/api/log/self?type=1")).await;
    assert_eq!(topups["total"], 1);

    let used = json(account(&sim, reqwest::Method::POST, "/api/user/topup").json(&json!({"key": "GIFT-1"})).send().await.unwrap()).await;
    let unknown = json(account(&sim, reqwest::Method::POST, "/api/user/topup").json(&json!({"key": "NOPE"})).send().await.unwrap()).await;
    assert_eq!(used["success"], false);
    assert_eq!(used["message"], unknown["message"], "the cause stays hidden");
}
