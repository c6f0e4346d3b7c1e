//! Jobs: asynchronous work on the platform (video), with enough to resume after a restart.

use super::{now_ms, Library};
use crate::error::Result;

#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub generation_id: i64,
    pub api: String,
    pub remote_task_id: Option<String>,
    pub state: String,
    pub created_at: i64,
}

impl Library {
    pub fn insert_job(&self, generation_id: i64, api: &str) -> Result<i64> {
        let now = now_ms();
        Ok(self.conn().query_row(
            "INSERT INTO jobs (generation_id, api, state, created_at, updated_at) VALUES (?1, ?2, 'submitting', ?3, ?3) RETURNING id",
            (generation_id, api, now),
            |r| r.get(0),
        )?)
    }

    /// Records the platform's task id the moment it answers, so a restart can resume.
    pub fn set_job_task(&self, id: i64, generation_id: i64, task_id: &str) -> Result<()> {
        let now = now_ms();
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        tx.execute("UPDATE jobs SET remote_task_id = ?2, state = 'queued', updated_at = ?3 WHERE id = ?1", (id, task_id, now))?;
        tx.execute("UPDATE generations SET remote_task_id = ?2, updated_at = ?3 WHERE id = ?1", (generation_id, task_id, now))?;
        tx.commit()?;
        Ok(())
    }

    pub fn set_job_state(&self, id: i64, state: &str, last_error: Option<&str>) -> Result<()> {
        self.conn().execute(
            "UPDATE jobs SET state = ?2, last_error = ?3, polls = polls + (?2 IN ('queued', 'running')), updated_at = ?4 WHERE id = ?1",
            (id, state, last_error, now_ms()),
        )?;
        Ok(())
    }

    /// Jobs that were still going when the app last stopped.
    pub fn active_jobs(&self) -> Result<Vec<Job>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, generation_id, api, remote_task_id, state, created_at FROM jobs
             WHERE state IN ('submitting', 'queued', 'running', 'downloading') ORDER BY id",
        )?;
        let jobs = stmt
            .query_map([], |r| {
                Ok(Job {
                    id: r.get(0)?,
                    generation_id: r.get(1)?,
                    api: r.get(2)?,
                    remote_task_id: r.get(3)?,
                    state: r.get(4)?,
                    created_at: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(jobs)
    }

    pub fn job_for_generation(&self, generation_id: i64) -> Result<Option<Job>> {
        Ok(self.active_jobs()?.into_iter().find(|j| j.generation_id == generation_id))
    }
}
