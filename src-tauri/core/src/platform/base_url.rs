//! The base URL a person types, normalized to the platform's origin.

use std::fmt;

use url::{Host, Url};

use crate::error::{Error, Result};

/// A platform's origin (`scheme://host[:port][/prefix]`) with no `/v1` and no trailing slash.
/// Relay calls go to `{origin}/v1/...`, balance calls to `{origin}/api/...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(Url);

impl BaseUrl {
    /// Accepts `https://host`, `https://host/v1`, trailing slashes, and surrounding spaces.
    /// Plain `http://` is refused unless the host is this machine.
    pub fn parse(input: &str) -> Result<Self> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(Error::InvalidUrl("the base URL is empty".into()));
        }
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_string()
        } else {
            format!("https://{trimmed}")
        };
        let mut url = Url::parse(&with_scheme).map_err(|e| Error::InvalidUrl(format!("{trimmed} ({e})")))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => return Err(Error::InsecureUrl(url.host_str().unwrap_or_default().to_string())),
            other => return Err(Error::InvalidUrl(format!("{trimmed} (unsupported scheme {other})"))),
        }
        if url.host().is_none() {
            return Err(Error::InvalidUrl(format!("{trimmed} (no host)")));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::InvalidUrl("put the API key in its own field, not in the URL".into()));
        }
        url.set_query(None);
        url.set_fragment(None);
        let mut path = url.path().trim_end_matches('/').to_string();
        if path.ends_with("/v1") {
            path.truncate(path.len() - 3);
        }
        url.set_path(&path);
        Ok(BaseUrl(url))
    }

    /// `{origin}/v1/{path}`, for the OpenAI-compatible relay.
    pub fn relay(&self, path: &str) -> String {
        format!("{}/v1/{}", self.origin(), path.trim_start_matches('/'))
    }

    /// `{origin}/{path}`, for balance and account calls outside `/v1`.
    pub fn root(&self, path: &str) -> String {
        format!("{}/{}", self.origin(), path.trim_start_matches('/'))
    }

    fn origin(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.0)
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.origin())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_host_gives_one_origin() {
        for input in [
            "https://api.example.com",
            "https://api.example.com/",
            "https://api.example.com/v1",
            "https://api.example.com/v1/",
            "  api.example.com/v1  ",
        ] {
            let url = BaseUrl::parse(input).unwrap();
            assert_eq!(url.to_string(), "https://api.example.com", "{input}");
            assert_eq!(url.relay("models"), "https://api.example.com/v1/models");
            assert_eq!(url.root("/api/status"), "https://api.example.com/api/status");
        }
    }

    #[test]
    fn a_path_prefix_is_kept() {
        let url = BaseUrl::parse("https://gw.example.com/openai/v1/").unwrap();
        assert_eq!(url.relay("/chat/completions"), "https://gw.example.com/openai/v1/chat/completions");
    }

    #[test]
    fn plain_http_only_for_this_machine() {
        assert!(BaseUrl::parse("http://127.0.0.1:3000/v1").is_ok());
        assert!(BaseUrl::parse("http://localhost:3000").is_ok());
        assert!(BaseUrl::parse("http://[::1]:3000").is_ok());
        assert!(matches!(BaseUrl::parse("http://api.example.com"), Err(Error::InsecureUrl(_))));
        assert!(matches!(BaseUrl::parse("ftp://api.example.com"), Err(Error::InvalidUrl(_))));
        assert!(matches!(BaseUrl::parse(""), Err(Error::InvalidUrl(_))));
        assert!(matches!(BaseUrl::parse("https://user:sk-1@api.example.com"), Err(Error::InvalidUrl(_))));
    }
}
