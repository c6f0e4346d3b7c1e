//! API keys: in the OS keychain (Secret Service on Linux), or in memory for this session,
//! or from `NEXHINA_API_KEY`. Never in SQLite, settings files, logs or exports.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::types::{KeySource, KeyStorage, KeychainStatus};

pub const KEYCHAIN_SERVICE: &str = "nexhina-studio";
pub const KEY_ENV: &str = "NEXHINA_API_KEY";

/// Where keys are kept. Keychain entries are named by service and base URL.
pub struct KeyStore {
    service: String,
    memory: Mutex<HashMap<String, String>>,
    env_key: Option<String>,
}

impl KeyStore {
    /// The store the app and the CLI use; `NEXHINA_API_KEY` is read once, here.
    pub fn from_env() -> Self {
        let env_key = std::env::var(KEY_ENV).ok().filter(|k| !k.trim().is_empty());
        KeyStore::new(KEYCHAIN_SERVICE, env_key)
    }

    pub fn new(service: &str, env_key: Option<String>) -> Self {
        KeyStore { service: service.to_string(), memory: Mutex::new(HashMap::new()), env_key }
    }

    /// Whether the keychain can be used, and if not, why, in words a person can act on.
    pub fn keychain_status() -> KeychainStatus {
        match keyring::Entry::store_status() {
            Ok(()) => KeychainStatus { available: true, message: None },
            Err(e) => KeychainStatus { available: false, message: Some(explain(e)) },
        }
    }

    pub fn save(&self, account: &str, key: &str, storage: KeyStorage) -> Result<()> {
        let key = key.trim();
        match storage {
            KeyStorage::Memory => {
                self.memory.lock().unwrap_or_else(|p| p.into_inner()).insert(account.to_string(), key.to_string());
                // A key chosen for this session only must not linger in the keychain either.
                let _ = self.delete_from_keychain(account);
                Ok(())
            }
            KeyStorage::Keychain => {
                self.entry(account)?.set_password(key).map_err(|e| Error::KeychainUnavailable(explain(&e)))?;
                self.memory.lock().unwrap_or_else(|p| p.into_inner()).remove(account);
                Ok(())
            }
        }
    }

    /// The key for a base URL: this session's memory first, then the keychain, then the
    /// environment. A keychain that cannot be reached is not an error here: the caller
    /// gets `None` and `keychain_status` explains.
    pub fn load(&self, account: &str) -> Option<(String, KeySource)> {
        if let Some(key) = self.memory.lock().unwrap_or_else(|p| p.into_inner()).get(account) {
            return Some((key.clone(), KeySource::Memory));
        }
        if let Ok(entry) = self.entry(account) {
            if let Ok(key) = entry.get_password() {
                return Some((key, KeySource::Keychain));
            }
        }
        self.env_key.clone().map(|k| (k, KeySource::Environment))
    }

    /// A secret other than the API key (the account's access token, its user id): memory,
    /// then the keychain, never the environment's API key.
    pub fn load_secret(&self, account: &str) -> Option<(String, KeySource)> {
        if let Some(value) = self.memory.lock().unwrap_or_else(|p| p.into_inner()).get(account) {
            return Some((value.clone(), KeySource::Memory));
        }
        self.entry(account).ok()?.get_password().ok().map(|value| (value, KeySource::Keychain))
    }

    /// Keeps a secret in this process's memory only, leaving any keychain entry as it is
    /// (a credential given for one CLI run).
    pub fn remember(&self, account: &str, value: &str) {
        self.memory.lock().unwrap_or_else(|p| p.into_inner()).insert(account.to_string(), value.trim().to_string());
    }

    /// Removes the key from memory and the keychain.
    pub fn forget(&self, account: &str) -> Result<()> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner()).remove(account);
        self.delete_from_keychain(account)
    }

    fn delete_from_keychain(&self, account: &str) -> Result<()> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(Error::KeychainUnavailable(explain(&e))),
        }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, account).map_err(|e| Error::KeychainUnavailable(explain(&e)))
    }
}

const NO_SECRET_SERVICE: &str = "no Secret Service is running (start a keyring such as GNOME Keyring or KWallet), so the key can be kept only for this session or read from NEXHINA_API_KEY";

fn explain(e: &keyring::Error) -> String {
    match e {
        keyring::Error::NoDefaultStore => NO_SECRET_SERVICE.into(),
        // No D-Bus session, or nothing on it that answers for org.freedesktop.secrets.
        keyring::Error::PlatformFailure(inner)
            if ["Failed to connect", "ServiceUnknown", "org.freedesktop.secrets"]
                .iter()
                .any(|sign| inner.to_string().contains(sign)) =>
        {
            NO_SECRET_SERVICE.into()
        }
        keyring::Error::NoStorageAccess(_) => {
            "the keyring is locked or refused access; unlock it and try again, or keep the key only for this session".into()
        }
        keyring::Error::PlatformFailure(inner) => format!("the keychain failed: {inner}"),
        other => format!("the keychain failed: {other}"),
    }
}

/// `sk-…abcd`: enough to recognise a key, not enough to use it.
pub fn key_hint(key: &str) -> String {
    let key = key.trim();
    let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    let prefix = if key.starts_with("sk-") { "sk-" } else { "" };
    format!("{prefix}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_never_show_the_key() {
        assert_eq!(key_hint("sk-abcdefgh1234"), "sk-…1234");
        assert_eq!(key_hint("xyz"), "…xyz");
    }

    #[test]
    fn memory_key_wins_and_environment_is_the_last_resort() {
        let store = KeyStore::new("nexhina-studio-unit-test", Some("sk-env".into()));
        let account = "https://memory.example.com";
        assert_eq!(store.load(account), Some(("sk-env".to_string(), KeySource::Environment)));
        store.save(account, " sk-session ", KeyStorage::Memory).unwrap();
        assert_eq!(store.load(account), Some(("sk-session".to_string(), KeySource::Memory)));
        let _ = store.forget(account);
        assert_eq!(store.load(account), Some(("sk-env".to_string(), KeySource::Environment)));
    }
}

/// A log line with anything that looks like a secret replaced: API keys (`sk-…`), bearer
/// tokens and `key=`/`token=` values. Logs are for diagnosing, never for credentials.
pub fn redact(line: &str) -> String {
    // (marker, whether the marker is part of the secret)
    const MARKERS: [(&str, bool); 5] = [("sk-", true), ("bearer ", false), ("key=", false), ("token=", false), ("\"key\":\"", false)];
    let lower = line.to_ascii_lowercase();
    let mut out = String::with_capacity(line.len());
    let mut at = 0;
    while at < line.len() {
        let next = MARKERS.iter().filter_map(|(m, inside)| lower[at..].find(m).map(|i| (at + i, m.len(), *inside))).min_by_key(|h| h.0);
        let Some((found, len, inside)) = next else { break };
        let start = if inside { found } else { found + len };
        let end = line[found + len..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '&' | ';' | ')'))
            .map_or(line.len(), |i| found + len + i);
        out.push_str(&line[at..start]);
        // Short values are words ("task-list"), not secrets.
        if end - (found + len) >= 6 {
            out.push_str("[redacted]");
        } else {
            out.push_str(&line[start..end]);
        }
        at = end.max(found + len);
    }
    out.push_str(&line[at.min(line.len())..]);
    out
}

#[cfg(test)]
mod redact_tests {
    use super::redact;

    #[test]
    fn secrets_never_reach_a_log_line() {
        assert_eq!(redact("using key sk-abcdef1234567890 for https://x"), "using key [redacted] for https://x");
        assert_eq!(redact("Authorization: Bearer eyJhbGciOi.xyz"), "Authorization: Bearer [redacted]");
        assert_eq!(redact("GET /v1/x?key=abcdef123&y=1"), "GET /v1/x?key=[redacted]&y=1");
        assert_eq!(redact("{\"key\":\"sk-zzzzzzzzzz\",\"id\":3}"), "{\"key\":\"[redacted]\",\"id\":3}");
        assert_eq!(redact("a task-list of 3 items"), "a task-list of 3 items");
        assert_eq!(redact("no secrets here"), "no secrets here");
        assert_eq!(redact("ends with sk-"), "ends with sk-");
    }
}
