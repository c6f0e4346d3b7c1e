//! What the user spent, from the local records: tokens from `usage_records`, images and
//! seconds of video and audio from the generations' stored outputs. Per model, per day.

use std::collections::BTreeMap;

use super::Library;
use crate::error::Result;
use crate::types::{UsageReport, UsageRow};

impl Library {
    /// Days are local days; `since` (Unix ms) limits the report.
    pub fn usage_report(&self, since: Option<i64>) -> Result<UsageReport> {
        let conn = self.conn();
        let mut rows: BTreeMap<(String, String), UsageRow> = BTreeMap::new();

        let mut tokens = conn.prepare(
            "SELECT date(created_at / 1000, 'unixepoch', 'localtime'), model, count(*), coalesce(sum(input_tokens), 0),
                    coalesce(sum(output_tokens), 0), coalesce(sum(total_tokens), 0)
             FROM usage_records WHERE ?1 IS NULL OR created_at >= ?1 GROUP BY 1, 2",
        )?;
        let found = tokens.query_map([since], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?, r.get::<_, i64>(4)?, r.get::<_, i64>(5)?))
        })?;
        for f in found {
            let (day, model, requests, input, output, total) = f?;
            let r = entry(&mut rows, day, model);
            r.requests += requests as u64;
            r.input_tokens += input as u64;
            r.output_tokens += output as u64;
            r.total_tokens += total as u64;
        }

        // Generated media: images counted, video and speech by their files' durations, and
        // transcripts by the length of the audio sent.
        let mut media = conn.prepare(
            "SELECT date(g.created_at / 1000, 'unixepoch', 'localtime'), g.model, g.kind, ga.role,
                    count(ga.asset_id), coalesce(sum(s.duration_ms), 0)
             FROM generations g
             JOIN generation_assets ga ON ga.generation_id = g.id
             JOIN assets s ON s.id = ga.asset_id
             WHERE (?1 IS NULL OR g.created_at >= ?1) AND g.status = 'complete'
             GROUP BY 1, 2, 3, 4",
        )?;
        let found = media.query_map([since], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get::<_, i64>(4)?, r.get::<_, i64>(5)?))
        })?;
        for f in found {
            let (day, model, kind, role, files, ms) = f?;
            let seconds = ms as f64 / 1000.0;
            let r = entry(&mut rows, day, model);
            match (kind.as_str(), role.as_str()) {
                ("image", "output") => r.images += files as u64,
                ("video", "output") => r.video_seconds += seconds,
                ("speech", "output") | ("transcription" | "translation", "input") => r.audio_seconds += seconds,
                _ => {}
            }
        }

        drop((tokens, media));
        let mut list: Vec<UsageRow> = rows.into_values().collect();
        list.sort_by(|a, b| b.day.cmp(&a.day).then(a.model.cmp(&b.model)));
        let mut totals = UsageRow::default();
        for r in &list {
            totals.requests += r.requests;
            totals.input_tokens += r.input_tokens;
            totals.output_tokens += r.output_tokens;
            totals.total_tokens += r.total_tokens;
            totals.images += r.images;
            totals.video_seconds += r.video_seconds;
            totals.audio_seconds += r.audio_seconds;
        }
        Ok(UsageReport { rows: list, totals })
    }
}

fn entry(rows: &mut BTreeMap<(String, String), UsageRow>, day: String, model: String) -> &mut UsageRow {
    rows.entry((day.clone(), model.clone())).or_insert_with(|| UsageRow { day, model, ..UsageRow::default() })
}
