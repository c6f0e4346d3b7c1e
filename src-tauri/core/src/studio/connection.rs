//! Which platform a call goes to: a run's override, the saved active profile, or the demo.

use super::Studio;
use crate::error::{Error, Result};
use crate::platform::{BaseUrl, PlatformClient};

/// The local simulated platform the app starts on loopback when nothing is configured.
#[derive(Debug, Clone)]
pub struct DemoPlatform {
    pub base_url: String,
    pub api_key: String,
}

pub(super) enum Target<'a> {
    Remote { base: BaseUrl, profile_id: Option<i64> },
    Demo { demo: &'a DemoPlatform },
    Nothing,
}

impl Studio {
    pub(super) fn target(&self) -> Result<Target<'_>> {
        if let Some(url) = self.options.base_url_override.as_deref().filter(|u| !u.trim().is_empty()) {
            return Ok(Target::Remote { base: BaseUrl::parse(url)?, profile_id: None });
        }
        let demo = self.options.demo.as_ref();
        match (self.library.active_profile()?, demo) {
            (Some(p), _) if !p.demo => Ok(Target::Remote { base: BaseUrl::parse(&p.base_url)?, profile_id: Some(p.id) }),
            (_, Some(demo)) => Ok(Target::Demo { demo }),
            _ => Ok(Target::Nothing),
        }
    }

    /// The library's profile row of the platform in use.
    pub(super) fn profile_id(&self) -> Result<i64> {
        match self.target()? {
            Target::Remote { profile_id: Some(id), .. } => Ok(id),
            Target::Remote { base, profile_id: None } => Ok(self.library.remote_profile(&base.to_string())?.id),
            Target::Demo { .. } => Ok(self.library.demo_profile()?.id),
            Target::Nothing => Err(Error::NotConfigured),
        }
    }

    /// A client for the platform in use, and its profile row.
    pub(super) fn connect(&self) -> Result<(PlatformClient, i64)> {
        let profile_id = self.profile_id()?;
        match self.target()? {
            Target::Remote { base, .. } => {
                let (key, _) = self.key_for(&base).ok_or(Error::MissingKey)?;
                Ok((self.client(base, key), profile_id))
            }
            Target::Demo { demo } => {
                let base = BaseUrl::parse(&demo.base_url)?;
                Ok((self.client(base, demo.api_key.clone()), profile_id))
            }
            Target::Nothing => Err(Error::NotConfigured),
        }
    }
}
