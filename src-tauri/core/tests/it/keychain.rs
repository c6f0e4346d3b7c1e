//! The API key in a real Secret Service (gnome-keyring under `dbus-run-session`, as the
//! test script runs it), read back independently with `secret-tool`.

use std::process::Command;

use nexhina_core::secrets::KeyStore;
use nexhina_core::types::{KeySource, KeyStorage, ProfileInput};
use nexhina_core::{Studio, StudioOptions};

use crate::{quick_retry, simulator, KEY};

fn lookup(service: &str, account: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", service, "username", account])
        .output()
        .expect("secret-tool is installed (libsecret-tools)");
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[tokio::test]
async fn the_key_lives_in_the_keychain_and_nowhere_else() {
    let status = KeyStore::keychain_status();
    assert!(
        status.available,
        "no Secret Service: run the tests with scripts/test.sh, which starts gnome-keyring under dbus-run-session ({:?})",
        status.message
    );
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let service = format!("nexhina-studio-it-{}", std::process::id());
    let secret = format!("{KEY}");
    let open = || {
        let options = StudioOptions { data_dir: dir.path().to_path_buf(), retry: Some(quick_retry()), ..StudioOptions::default() };
        Studio::open(options, KeyStore::new(&service, None)).unwrap()
    };

    let studio = open();
    let input = ProfileInput { base_url: sim.base_url(), api_key: Some(secret.clone()), key_storage: KeyStorage::Keychain };
    let view = studio.save_profile(input).unwrap();
    assert_eq!(view.key_source, KeySource::Keychain);
    assert_eq!(lookup(&service, &sim.base_url()).as_deref(), Some(secret.as_str()));
    drop(studio);

    let restarted = open();
    assert_eq!(restarted.profile_view().unwrap().key_source, KeySource::Keychain);
    assert!(!restarted.list_models().await.unwrap().is_empty(), "the stored key is used after a restart");

    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "the key leaked into {}", path.display());
        }
    }

    restarted.forget_key().unwrap();
    assert_eq!(lookup(&service, &sim.base_url()), None);
    assert_eq!(restarted.profile_view().unwrap().key_source, KeySource::None);
}
