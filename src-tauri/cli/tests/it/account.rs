//! `nexhina account`, `keys` and `redeem` against the simulator.

use nexhina_simulator::{SimConfig, Simulator};
use serde_json::Value;

use super::{stderr, stdout, Run};

const TOKEN: &str = "demo-access-token";

struct Account {
    sim: Simulator,
    run: Run,
}

impl Account {
    async fn start() -> Account {
        Account { sim: Simulator::start(SimConfig::default()).await.unwrap(), run: Run::new() }
    }

    fn output(&self, args: &[&str]) -> std::process::Output {
        self.run
            .command(args)
            .env("NEXHINA_BASE_URL", self.sim.base_url())
            .env("NEXHINA_API_KEY", "sk-demo")
            .env("NEXHINA_ACCESS_TOKEN", TOKEN)
            .env("NEXHINA_USER_ID", "1")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.output(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn account_shows_the_key_and_the_account_in_the_platforms_currency() {
    let a = Account::start().await;
    let text = a.ok(&["account"]);
    assert!(text.contains("API key \"demo key\": $"), "{text}");
    assert!(text.contains("Account demo (user 1):"), "{text}");
    assert!(text.contains("Recent calls with this key:"), "{text}");
    let json = a.json(&["account", "--json"]);
    assert_eq!(json["key"]["balance"]["currency"], "USD");
    assert_eq!(json["key"]["balance"]["total"], 100.0);
    assert_eq!(json["account"]["user_id"], 1);
    assert!(json["recent_calls"].as_array().unwrap().len() > 3);

    // Without console credentials the key's part still shows.
    let out = a.run.command(&["account"]).env("NEXHINA_BASE_URL", a.sim.base_url()).env("NEXHINA_API_KEY", "sk-demo")
        .env_remove("NEXHINA_ACCESS_TOKEN").env_remove("NEXHINA_USER_ID").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("not signed in"), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_filter_by_model_and_date_and_page() {
    let a = Account::start().await;
    let images = a.json(&["account", "logs", "--model", "gpt-image-1", "--json"]);
    let items = images["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|l| l["model"] == "gpt-image-1"));
    let page2 = a.json(&["account", "logs", "--page", "2", "--page-size", "3", "--json"]);
    assert_eq!(page2["page"], 2);
    assert_eq!(page2["items"].as_array().unwrap().len(), 3);
    let future = a.json(&["account", "logs", "--since", "2999-01-01", "--json"]);
    assert_eq!(future["total"], 0);
    let text = a.ok(&["account", "logs", "--page-size", "5"]);
    assert!(text.contains("page 1 of"), "{text}");
    let asked = a.sim.requests().into_iter().filter(|r| r.path.starts_with("/api/log/self?")).any(|r| r.path.contains("start_timestamp=32472144000"));
    assert!(asked, "the date is sent as the start of that day in UTC");

    let bad = a.output(&["account", "logs", "--since", "last week"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("YYYY-MM-DD"), "{}", stderr(&bad));
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_are_listed_created_disabled_enabled_revealed_and_deleted() {
    let a = Account::start().await;
    let list = a.ok(&["keys", "list"]);
    assert!(list.contains("demo key") && list.contains("(in use)"), "{list}");
    let created = a.json(&["keys", "create", "ci", "--quota", "3", "--expires", "2999-12-31", "--models", "gpt-4o-mini,tts-1", "--json"]);
    let id = created["id"].as_i64().unwrap().to_string();
    assert_eq!(created["remaining"], 3.0);
    assert!(created["masked_key"].as_str().unwrap().contains("**********"), "{created}");
    assert_eq!(created["model_limits"], serde_json::json!(["gpt-4o-mini", "tts-1"]));
    assert!(a.ok(&["keys", "disable", &id]).starts_with("Disabled key"));
    assert_eq!(a.json(&["keys", "enable", &id, "--json"])["status"], "enabled");
    let key = a.ok(&["keys", "reveal", &id]).trim().to_string();
    assert!(key.starts_with("sk-") && !key.contains('*'), "{key}");
    // The revealed key works for relay calls.
    let out = a.run.command(&["models", "--json"]).env("NEXHINA_BASE_URL", a.sim.base_url()).env("NEXHINA_API_KEY", &key).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(a.ok(&["keys", "delete", &id]).contains("Deleted key"));
    assert!(!a.ok(&["keys", "list"]).contains(" ci "));
}

#[tokio::test(flavor = "multi_thread")]
async fn redeem_adds_money_and_a_refused_code_is_explained() {
    let a = Account::start().await;
    a.sim.add_redemption_code("CLI-GIFT", 1_500_000);
    assert_eq!(a.ok(&["redeem", "CLI-GIFT"]).trim(), "Added $3.00 to the account.");
    let out = a.output(&["redeem", "CLI-GIFT"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.starts_with("error: The code was not accepted. The platform does not say why"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_console_credentials_say_which_one_is_wrong() {
    let a = Account::start().await;
    let wrong = a.run.command(&["keys", "list"]).env("NEXHINA_BASE_URL", a.sim.base_url()).env("NEXHINA_API_KEY", "sk-demo")
        .env("NEXHINA_ACCESS_TOKEN", "nope").env("NEXHINA_USER_ID", "1").output().unwrap();
    assert!(!wrong.status.success());
    assert!(stderr(&wrong).contains("refused the access token"), "{}", stderr(&wrong));
    assert!(!stderr(&wrong).contains("nope"), "the token is never printed");
    let mismatched = a.run.command(&["keys", "list"]).env("NEXHINA_BASE_URL", a.sim.base_url()).env("NEXHINA_API_KEY", "sk-demo")
        .env("NEXHINA_ACCESS_TOKEN", TOKEN).env("NEXHINA_USER_ID", "42").output().unwrap();
    assert!(!mismatched.status.success());
    assert!(stderr(&mismatched).contains("user id does not belong"), "{}", stderr(&mismatched));
    let none = a.run.command(&["keys", "list"]).env("NEXHINA_BASE_URL", a.sim.base_url()).env("NEXHINA_API_KEY", "sk-demo")
        .env_remove("NEXHINA_ACCESS_TOKEN").env_remove("NEXHINA_USER_ID").output().unwrap();
    assert!(stderr(&none).contains("No access token is set"), "{}", stderr(&none));
}
