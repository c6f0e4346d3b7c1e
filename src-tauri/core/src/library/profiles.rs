//! Platforms the user connects to, and each one's cached model list.

use rusqlite::OptionalExtension;

use super::{now_ms, Library};
use crate::error::Result;
use crate::platform::models::RemoteModel;
use crate::types::{KindSource, ModelInfo, ModelKind};

const ACTIVE_PROFILE: &str = "active_profile";
/// The demo platform's address changes every run; its one row is keyed by this marker.
const DEMO_MARKER: &str = "demo:";

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub id: i64,
    pub demo: bool,
    pub base_url: String,
}

impl Library {
    /// The profile for a remote base URL, created on first use.
    pub fn remote_profile(&self, base_url: &str) -> Result<Profile> {
        self.upsert_profile("remote", base_url)
    }

    pub fn demo_profile(&self) -> Result<Profile> {
        self.upsert_profile("demo", DEMO_MARKER)
    }

    fn upsert_profile(&self, kind: &str, base_url: &str) -> Result<Profile> {
        let now = now_ms();
        let id: i64 = self.conn().query_row(
            "INSERT INTO profiles (kind, name, base_url, created_at, updated_at) VALUES (?1, ?2, ?2, ?3, ?3)
             ON CONFLICT (kind, base_url) DO UPDATE SET updated_at = excluded.updated_at
             RETURNING id",
            (kind, base_url, now),
            |r| r.get(0),
        )?;
        Ok(Profile { id, demo: kind == "demo", base_url: base_url.to_string() })
    }

    /// The profile the user chose; `None` means none yet (the app then uses the demo).
    pub fn active_profile(&self) -> Result<Option<Profile>> {
        let Some(id) = self.setting::<i64>(ACTIVE_PROFILE)? else { return Ok(None) };
        let row = self
            .conn()
            .query_row("SELECT id, kind, base_url FROM profiles WHERE id = ?1", [id], |r| {
                Ok(Profile { id: r.get(0)?, demo: r.get::<_, String>(1)? == "demo", base_url: r.get(2)? })
            })
            .optional()?;
        Ok(row)
    }

    pub fn set_active_profile(&self, profile: &Profile) -> Result<()> {
        self.set_setting(ACTIVE_PROFILE, &profile.id)
    }

    /// Replaces the cached model list of a profile with a fresh one.
    pub fn store_models(&self, profile_id: i64, models: &[RemoteModel]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM models WHERE profile_id = ?1", [profile_id])?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO models (profile_id, id, kind, kind_source, owned_by, fetched_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let now = now_ms();
            for m in models {
                let source = if m.kind_source == KindSource::Gateway { "gateway" } else { "name" };
                insert.execute((profile_id, &m.id, m.kind.as_str(), source, &m.owned_by, now))?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The cached models with the user's corrections applied, ordered by id.
    pub fn models(&self, profile_id: i64) -> Result<Vec<ModelInfo>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT m.id, COALESCE(o.kind, m.kind), CASE WHEN o.kind IS NULL THEN m.kind_source ELSE 'user' END, m.owned_by
             FROM models m LEFT JOIN model_kind_overrides o ON o.profile_id = m.profile_id AND o.model_id = m.id
             WHERE m.profile_id = ?1 ORDER BY m.id",
        )?;
        let rows = stmt.query_map([profile_id], |r| {
            let kind: String = r.get(1)?;
            let source: String = r.get(2)?;
            Ok(ModelInfo {
                id: r.get(0)?,
                kind: ModelKind::parse(&kind).unwrap_or(ModelKind::Chat),
                kind_source: match source.as_str() {
                    "gateway" => KindSource::Gateway,
                    "user" => KindSource::User,
                    _ => KindSource::Name,
                },
                owned_by: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn set_model_kind(&self, profile_id: i64, model_id: &str, kind: ModelKind) -> Result<()> {
        self.conn().execute(
            "INSERT INTO model_kind_overrides (profile_id, model_id, kind) VALUES (?1, ?2, ?3)
             ON CONFLICT (profile_id, model_id) DO UPDATE SET kind = excluded.kind",
            (profile_id, model_id, kind.as_str()),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(id: &str, kind: ModelKind) -> RemoteModel {
        RemoteModel { id: id.into(), owned_by: None, kind, kind_source: KindSource::Name }
    }

    #[test]
    fn a_users_kind_correction_survives_a_refresh() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        let p = lib.remote_profile("https://api.example.com").unwrap();
        lib.store_models(p.id, &[model("my-painter", ModelKind::Chat), model("gpt-4o", ModelKind::Chat)]).unwrap();
        lib.set_model_kind(p.id, "my-painter", ModelKind::Image).unwrap();
        lib.store_models(p.id, &[model("my-painter", ModelKind::Chat), model("gpt-4o", ModelKind::Chat)]).unwrap();
        let models = lib.models(p.id).unwrap();
        let painter = models.iter().find(|m| m.id == "my-painter").unwrap();
        assert_eq!((painter.kind, painter.kind_source), (ModelKind::Image, KindSource::User));
    }

    #[test]
    fn the_same_base_url_is_one_profile() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        let a = lib.remote_profile("https://api.example.com").unwrap();
        let b = lib.remote_profile("https://api.example.com").unwrap();
        assert_eq!(a.id, b.id);
        assert_ne!(lib.demo_profile().unwrap().id, a.id);
        assert_eq!(lib.active_profile().unwrap(), None);
        lib.set_active_profile(&a).unwrap();
        assert_eq!(lib.active_profile().unwrap(), Some(a));
    }
}
