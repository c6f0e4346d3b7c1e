//! Settings' use cases end to end through the studio: test, save, demo, corrections, offline.

use nexhina_core::secrets::KeyStore;
use nexhina_core::types::{KeySource, KeyStorage, ModelKind, ProfileInput, Settings};
use nexhina_core::{DemoPlatform, Studio, StudioOptions};
use nexhina_simulator::Simulator;

use crate::{quick_retry, simulator, KEY};

fn open(dir: &std::path::Path, demo: Option<&Simulator>) -> Studio {
    let options = StudioOptions {
        data_dir: dir.to_path_buf(),
        demo: demo.map(|sim| DemoPlatform { base_url: sim.base_url(), api_key: KEY.into() }),
        retry: Some(quick_retry()),
        ..StudioOptions::default()
    };
    Studio::open(options, KeyStore::new("nexhina-studio-it-profiles", None)).unwrap()
}

fn input(base_url: &str, key: Option<&str>) -> ProfileInput {
    ProfileInput { base_url: base_url.into(), api_key: key.map(str::to_string), key_storage: KeyStorage::Memory }
}

#[tokio::test]
async fn a_new_library_starts_on_the_demo_platform() {
    let demo = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), Some(&demo));
    let info = studio.app_info().unwrap();
    assert!(info.profile.demo);
    assert_eq!(info.profile.key_source, KeySource::Demo);
    let models = studio.list_models().await.unwrap();
    assert!(models.iter().any(|m| m.kind == ModelKind::Image));
}

#[tokio::test]
async fn without_demo_or_profile_the_user_is_told_to_configure() {
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), None);
    let err = studio.list_models().await.unwrap_err();
    assert_eq!(err.code(), "not_configured");
    assert!(err.to_string().contains("Settings"));
}

#[tokio::test]
async fn test_connection_does_not_save_and_save_switches_platform() {
    let demo = simulator().await;
    let real = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), Some(&demo));
    let url = format!("{}/v1/", real.base_url());

    let report = studio.test_connection(input(&url, Some(KEY))).await.unwrap();
    assert_eq!(report.base_url, real.base_url());
    assert!(report.models.len() > 5);
    assert!(report.balance.is_some());
    assert!(studio.profile_view().unwrap().demo, "testing does not switch");

    let view = studio.save_profile(input(&url, Some(KEY))).unwrap();
    assert!(!view.demo);
    assert_eq!(view.base_url, real.base_url());
    assert_eq!(view.key_source, KeySource::Memory);
    assert_eq!(view.key_hint.as_deref(), Some("sk-…demo"));
    real.clear();
    studio.list_models().await.unwrap();
    assert_eq!(real.requests().len(), 1, "calls now go to the saved platform");
}

#[tokio::test]
async fn a_wrong_key_fails_the_test_and_changes_nothing() {
    let demo = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), Some(&demo));
    let err = studio.test_connection(input(&demo.base_url(), Some("sk-wrong"))).await.unwrap_err();
    assert_eq!(err.code(), "unauthorized");
    assert!(studio.profile_view().unwrap().demo);
}

#[tokio::test]
async fn insecure_and_malformed_urls_are_refused_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), None);
    let err = studio.test_connection(input("http://api.example.com/v1", Some(KEY))).await.unwrap_err();
    assert_eq!(err.code(), "insecure_url");
    let err = studio.save_profile(input("not a url at all", Some(KEY))).unwrap_err();
    assert_eq!(err.code(), "invalid_url");
}

#[tokio::test]
async fn kind_corrections_stick_to_the_platform_they_were_made_on() {
    let demo = simulator().await;
    let other = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), Some(&demo));
    studio.test_connection(input(&other.base_url(), Some(KEY))).await.unwrap();
    let corrected = studio.set_model_kind(Some(&other.base_url()), "gpt-4o", ModelKind::Embedding).unwrap();
    assert_eq!(corrected.iter().find(|m| m.id == "gpt-4o").unwrap().kind, ModelKind::Embedding);
    let demo_models = studio.list_models().await.unwrap();
    assert_eq!(demo_models.iter().find(|m| m.id == "gpt-4o").unwrap().kind, ModelKind::Chat);
}

#[tokio::test]
async fn models_stay_listed_offline_and_the_profile_survives_a_restart() {
    let real = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let base = real.base_url();
    {
        let studio = open(dir.path(), None);
        studio.save_profile(input(&base, Some(KEY))).unwrap();
        assert!(!studio.list_models().await.unwrap().is_empty());
        real.shutdown().await;
        let cached = studio.list_models().await.unwrap();
        assert!(cached.iter().any(|m| m.id == "gpt-4o-mini"), "the cached list is shown offline");
    }
    let reopened = open(dir.path(), None);
    let view = reopened.profile_view().unwrap();
    assert_eq!(view.base_url, base);
    assert_eq!(view.key_source, KeySource::None, "a session-only key is gone after a restart");
    assert_eq!(reopened.list_models().await.unwrap_err().code(), "missing_key");
}

#[tokio::test]
async fn app_and_cli_can_share_the_library_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path(), None);
    let second = open(dir.path(), None);
    first.save_profile(input("https://one.example.com", Some(KEY))).unwrap();
    second.save_profile(input("https://two.example.com", Some(KEY))).unwrap();
    assert_eq!(first.profile_view().unwrap().base_url, "https://two.example.com");
}

#[tokio::test]
async fn the_proxy_setting_carries_platform_calls_and_a_bad_one_is_refused() {
    let demo = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), Some(&demo));
    let settings = studio.settings().unwrap();

    let err = studio.save_settings(Settings { proxy: Some("ftp://proxy.example.com".into()), ..settings.clone() }).unwrap_err();
    assert_eq!(err.code(), "invalid_proxy");
    assert_eq!(studio.settings().unwrap().proxy, None, "nothing was saved");

    // Port 9 (discard) is closed on loopback: every call through this proxy must fail.
    studio.save_settings(Settings { proxy: Some(" http://127.0.0.1:9 ".into()), ..settings.clone() }).unwrap();
    assert_eq!(studio.settings().unwrap().proxy.as_deref(), Some("http://127.0.0.1:9"));
    demo.clear();
    assert_eq!(studio.list_models().await.unwrap_err().code(), "network");
    assert!(demo.requests().is_empty(), "the call went to the proxy, not straight to the platform");

    studio.save_settings(Settings { proxy: None, ..settings }).unwrap();
    assert!(!studio.list_models().await.unwrap().is_empty());
}
