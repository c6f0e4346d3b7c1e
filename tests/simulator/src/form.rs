//! Multipart forms read whole (uploads are already in memory, see `gateway::intake`).

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};

pub(crate) struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub data: Bytes,
}

pub(crate) struct Form {
    parts: Vec<Part>,
}

impl Form {
    /// Reads a `multipart/form-data` request; the error says why it is not one.
    pub async fn read(request: Request) -> Result<Form, String> {
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|rejection| rejection.body_text())?;
        let mut parts = Vec::new();
        while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let data = field.bytes().await.map_err(|e| e.body_text())?;
            parts.push(Part {
                name,
                file_name,
                data,
            });
        }
        Ok(Form { parts })
    }

    /// A text field (the first of that name), trimmed; empty counts as absent.
    pub fn text(&self, name: &str) -> Option<String> {
        self.parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.data).trim().to_owned())
            .filter(|s| !s.is_empty())
    }

    /// All values of a repeated field, e.g. `timestamp_granularities[]`.
    pub fn texts(&self, name: &str) -> Vec<String> {
        self.parts
            .iter()
            .filter(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.data).trim().to_owned())
            .collect()
    }

    /// Parts with one of these names, in order (files or not).
    pub fn all(&self, names: &[&str]) -> Vec<&Part> {
        self.parts
            .iter()
            .filter(|p| names.contains(&p.name.as_str()))
            .collect()
    }

    pub fn part(&self, name: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.name == name)
    }
}
