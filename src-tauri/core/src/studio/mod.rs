//! Use cases that join the platform, the library and the key store. The desktop shell and
//! the CLI call these and nothing below them.

mod account;
mod chat;
mod connection;
mod conversations;
mod data;
mod images;
pub mod read_aloud;
mod search;
mod speech;
mod tools;
mod video;

use std::path::PathBuf;
use std::sync::RwLock;

pub use chat::{title_from, TurnOutcome, TurnSink, TurnTask};
pub use connection::DemoPlatform;
pub use images::{GenerationSink, GenerationTask};
pub use search::IndexSink;
pub use speech::{parse_transcript, render_transcript, PartSink};
pub use video::PollSchedule;

use crate::error::{Error, Result};
use crate::library::Library;
use crate::platform::{self, http_client, BaseUrl, HttpOptions, PlatformClient, RetryPolicy};
use crate::secrets::{key_hint, KeyStore};
use crate::types::{
    AppInfo, Balance, ConnectionReport, KeySource, Language, ModelInfo, ModelKind, ProfileInput, ProfileView, Settings,
};

/// How a front end opens the studio.
#[derive(Debug, Clone, Default)]
pub struct StudioOptions {
    pub data_dir: PathBuf,
    /// The local simulated platform, used while no real one is configured (the app only).
    pub demo: Option<DemoPlatform>,
    /// A base URL for this run only (CLI `--base-url`), not saved.
    pub base_url_override: Option<String>,
    /// A key for this run only (CLI `--api-key`), not saved.
    pub api_key_override: Option<String>,
    pub http: HttpOptions,
    pub retry: Option<RetryPolicy>,
    /// How often video jobs are polled (tests shorten it).
    pub video_polls: Option<PollSchedule>,
}

pub struct Studio {
    library: Library,
    keys: KeyStore,
    /// Rebuilt when the proxy setting changes.
    http: RwLock<reqwest::Client>,
    options: StudioOptions,
    running: chat::RunningTurns,
    search: search::SearchState,
}

impl Studio {
    pub fn open(options: StudioOptions, keys: KeyStore) -> Result<Studio> {
        let library = Library::open(&options.data_dir)?;
        let proxy = library.settings()?.proxy;
        let http = http_client(&HttpOptions { proxy: proxy.or(options.http.proxy.clone()), ..options.http.clone() })
            .or_else(|_| http_client(&options.http))?;
        // Replies a crash or a closed app left streaming are shown as interrupted.
        library.interrupt_stale_replies()?;
        library.fail_stale_generations()?;
        Ok(Studio { library, keys, http: RwLock::new(http), options, running: Default::default(), search: Default::default() })
    }

    pub fn library(&self) -> &Library {
        &self.library
    }

    pub fn app_info(&self) -> Result<AppInfo> {
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            data_dir: self.options.data_dir.display().to_string(),
            profile: self.profile_view()?,
            keychain: KeyStore::keychain_status(),
            settings: self.library.settings()?,
        })
    }

    pub fn settings(&self) -> Result<Settings> {
        self.library.settings()
    }

    /// Saves the settings; a proxy that cannot be used is refused before anything is saved.
    pub fn save_settings(&self, mut settings: Settings) -> Result<Settings> {
        settings.proxy = settings.proxy.map(|p| p.trim().to_string()).filter(|p| !p.is_empty());
        let http = http_client(&HttpOptions { proxy: settings.proxy.clone(), ..self.options.http.clone() })?;
        self.library.save_settings(&settings)?;
        *self.http.write().unwrap_or_else(|p| p.into_inner()) = http;
        Ok(settings)
    }

    /// The platform in use, as Settings shows it.
    pub fn profile_view(&self) -> Result<ProfileView> {
        match self.target()? {
            connection::Target::Remote { base, .. } => {
                let key = self.key_for(&base);
                Ok(ProfileView {
                    base_url: base.to_string(),
                    demo: false,
                    key_source: key.as_ref().map_or(KeySource::None, |(_, s)| *s),
                    key_hint: key.map(|(k, _)| key_hint(&k)),
                })
            }
            connection::Target::Demo { demo, .. } => Ok(ProfileView {
                base_url: demo.base_url.clone(),
                demo: true,
                key_source: KeySource::Demo,
                key_hint: None,
            }),
            connection::Target::Nothing => Ok(ProfileView {
                base_url: String::new(),
                demo: false,
                key_source: KeySource::None,
                key_hint: None,
            }),
        }
    }

    /// Tries the entered base URL and key without saving them: lists the models (grouped
    /// by kind in the UI) and the balance where the gateway offers one.
    pub async fn test_connection(&self, input: ProfileInput) -> Result<ConnectionReport> {
        let base = BaseUrl::parse(&input.base_url)?;
        let key = match input.api_key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(key) => key.to_string(),
            None => self.key_for(&base).map(|(k, _)| k).ok_or(Error::MissingKey)?,
        };
        let profile = self.library.remote_profile(&base.to_string())?;
        let client = self.client(base.clone(), key);
        let models = self.refresh_models(&client, profile.id).await?;
        let balance = platform::balance::balance(&client).await.unwrap_or(None);
        Ok(ConnectionReport { base_url: base.to_string(), models, balance })
    }

    /// Makes the entered platform the active one, keeping a new key where the user chose.
    pub fn save_profile(&self, input: ProfileInput) -> Result<ProfileView> {
        let base = BaseUrl::parse(&input.base_url)?;
        if let Some(key) = input.api_key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            self.keys.save(&base.to_string(), key, input.key_storage)?;
        }
        let profile = self.library.remote_profile(&base.to_string())?;
        self.library.set_active_profile(&profile)?;
        self.profile_view()
    }

    /// Forgets the stored key of the active platform (keychain and memory).
    pub fn forget_key(&self) -> Result<()> {
        match self.target()? {
            connection::Target::Remote { base, .. } => self.keys.forget(&base.to_string()),
            _ => Ok(()),
        }
    }

    pub fn use_demo(&self) -> Result<ProfileView> {
        if self.options.demo.is_none() {
            return Err(Error::NotSupported {
                message: "the demo platform runs only inside the desktop app".into(),
                request_id: None,
            });
        }
        let profile = self.library.demo_profile()?;
        self.library.set_active_profile(&profile)?;
        self.profile_view()
    }

    /// The active platform's models, fetched fresh; the cached list when offline.
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>> {
        let (client, profile_id) = self.connect()?;
        match self.refresh_models(&client, profile_id).await {
            Ok(models) => Ok(models),
            Err(e @ (Error::Network(_) | Error::Timeout)) => {
                let cached = self.library.models(profile_id)?;
                if cached.is_empty() {
                    Err(e)
                } else {
                    Ok(cached)
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Corrects the kind the app guessed for a model; kept across refreshes. `base_url`
    /// names a platform that was tested but not saved; `None` means the one in use.
    pub fn set_model_kind(&self, base_url: Option<&str>, model_id: &str, kind: ModelKind) -> Result<Vec<ModelInfo>> {
        let profile_id = match base_url.filter(|u| !u.trim().is_empty()) {
            Some(url) => self.library.remote_profile(&BaseUrl::parse(url)?.to_string())?.id,
            None => self.profile_id()?,
        };
        self.library.set_model_kind(profile_id, model_id, kind)?;
        self.library.models(profile_id)
    }

    /// The key's balance; `None` where the gateway offers none.
    pub async fn balance(&self) -> Result<Option<Balance>> {
        let (client, _) = self.connect()?;
        platform::balance::balance(&client).await
    }

    async fn refresh_models(&self, client: &PlatformClient, profile_id: i64) -> Result<Vec<ModelInfo>> {
        let remote = platform::models::list_models(client).await?;
        self.library.store_models(profile_id, &remote)?;
        self.library.models(profile_id)
    }

    fn client(&self, base: BaseUrl, key: String) -> PlatformClient {
        let language = match self.library.settings().map(|s| s.language).unwrap_or_default() {
            Language::En => "en",
            Language::ZhCn => "zh-CN",
        };
        let http = self.http.read().unwrap_or_else(|p| p.into_inner()).clone();
        let client = PlatformClient::new(http, base, key).with_language(language);
        match self.options.retry {
            Some(policy) => client.with_retry(policy),
            None => client,
        }
    }

    fn key_for(&self, base: &BaseUrl) -> Option<(String, KeySource)> {
        if let Some(key) = self.options.api_key_override.clone().filter(|k| !k.trim().is_empty()) {
            return Some((key, KeySource::Environment));
        }
        self.keys.load(&base.to_string())
    }
}
