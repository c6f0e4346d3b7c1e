//! What the simulated platform remembers between requests.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use serde::Serialize;

use crate::account::SimToken;
use crate::faults::{Fault, FaultRule};
use crate::video::VideoTask;
use crate::{RecordedRequest, SimConfig};

/// Recorded requests kept; older ones are dropped so a demo session stays bounded.
const MAX_RECORDED: usize = 2000;
/// Generated images kept for their `/files/<id>.png` URL (real URLs expire too).
const MAX_FILES: usize = 256;
const MAX_LOGS: usize = 100;

/// Quota granted to the demo key: 100 USD at 500 000 quota per USD.
pub(crate) const QUOTA_PER_UNIT: i64 = 500_000;
pub(crate) const QUOTA_GRANTED: i64 = 100 * QUOTA_PER_UNIT;

pub(crate) struct SimState {
    pub config: SimConfig,
    /// Where the server listens; URLs use the request's Host when there is one.
    pub base_url: String,
    pub started_unix: u64,
    /// Distinguishes ids of two simulator runs, so a client resuming old tasks sees
    /// `task_not_exist` rather than somebody else's task.
    run_tag: u32,
    sequence: AtomicU64,
    // A std Mutex: it is never held across an await.
    inner: Mutex<Inner>,
}

#[derive(Default)]
pub(crate) struct Inner {
    requests: VecDeque<RecordedRequest>,
    faults: Vec<FaultRule>,
    /// Replies queued by tests, used verbatim by the next chat turns.
    replies: VecDeque<String>,
    /// Tool calls queued by tests: (name, arguments) made by the next turn offering tools.
    tool_calls: VecDeque<Vec<(String, String)>>,
    pub used_quota: i64,
    pub logs: VecDeque<LogEntry>,
    pub next_log_id: u64,
    files: HashMap<String, HostedFile>,
    file_order: VecDeque<String>,
    videos: HashMap<String, VideoTask>,
    /// The user's API keys (the configured key is the first).
    pub tokens: Vec<SimToken>,
    /// Redeem code → (quota, already used).
    pub redemptions: HashMap<String, (i64, bool)>,
    pub redeemed_quota: i64,
    pub request_count: u64,
}

#[derive(Clone)]
pub(crate) struct HostedFile {
    pub content_type: &'static str,
    pub bytes: Bytes,
}

/// One line of `/api/log/token`, in new-api's field names.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct LogEntry {
    pub id: u64,
    pub user_id: u64,
    pub created_at: u64,
    #[serde(rename = "type")]
    pub kind: u8,
    pub content: String,
    pub username: String,
    pub token_name: String,
    pub model_name: String,
    pub quota: i64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub use_time: u64,
    pub is_stream: bool,
    pub channel: u64,
    pub token_id: u64,
    pub group: String,
    pub other: String,
}

/// What one relay call costs, for the balance endpoints.
pub(crate) struct Charge<'a> {
    pub model: &'a str,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub quota: i64,
    pub stream: bool,
}

impl SimState {
    pub fn new(config: SimConfig, base_url: String) -> SimState {
        let started_unix = unix_now();
        let run_tag = RandomState::new().hash_one(started_unix) as u32;
        let state = SimState {
            config,
            base_url,
            started_unix,
            run_tag,
            sequence: AtomicU64::new(1),
            inner: Mutex::new(Inner::default()),
        };
        state.seed_history();
        crate::account::seed(&state);
        state
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere must not take the demo platform down with it.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A fresh id such as `chatcmpl-3f9a12c4000017`.
    pub fn new_id(&self, prefix: &str) -> String {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        format!("{prefix}{:08x}{n:06x}", self.run_tag)
    }

    /// new-api's request ids are a timestamp followed by random characters.
    pub fn request_id(&self) -> String {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        format!("{}{:08x}{n:06x}", unix_now(), self.run_tag)
    }

    pub fn record(&self, request: RecordedRequest) {
        let mut inner = self.lock();
        if inner.requests.len() >= MAX_RECORDED {
            inner.requests.pop_front();
        }
        inner.requests.push_back(request);
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.iter().cloned().collect()
    }

    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    pub fn push_fault(&self, rule: FaultRule) {
        self.lock().faults.push(rule);
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    pub fn queued_faults(&self) -> Vec<FaultRule> {
        self.lock().faults.clone()
    }

    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.requests.clear();
        inner.faults.clear();
        inner.replies.clear();
        inner.tool_calls.clear();
    }

    pub fn push_reply(&self, content: String) {
        self.lock().replies.push_back(content);
    }

    /// The oldest queued reply, used up.
    pub fn take_reply(&self) -> Option<String> {
        self.lock().replies.pop_front()
    }

    pub fn queued_replies(&self) -> Vec<String> {
        self.lock().replies.iter().cloned().collect()
    }

    pub fn push_tool_calls(&self, calls: Vec<(String, String)>) {
        self.lock().tool_calls.push_back(calls);
    }

    /// The oldest queued set of tool calls, used up.
    pub fn take_tool_calls(&self) -> Option<Vec<(String, String)>> {
        self.lock().tool_calls.pop_front()
    }

    pub fn clear_replies(&self) {
        self.lock().replies.clear();
    }

    /// Takes the first queued fault whose prefix matches `path`, using up one of its times.
    pub fn take_fault(&self, path: &str) -> Option<Fault> {
        let mut inner = self.lock();
        let index = inner
            .faults
            .iter()
            .position(|rule| path.starts_with(&rule.path_prefix))?;
        let rule = &mut inner.faults[index];
        let fault = rule.fault.clone();
        match rule.times {
            0 => {} // unlimited
            1 => {
                inner.faults.remove(index);
            }
            _ => rule.times -= 1,
        }
        Some(fault)
    }

    pub fn charge(&self, charge: Charge<'_>) {
        let mut inner = self.lock();
        inner.used_quota += charge.quota;
        inner.request_count += 1;
        let entry = LogEntry {
            id: inner.next_log_id,
            user_id: self.config.user_id,
            created_at: unix_now(),
            kind: 2,
            content: format!(
                "model ratio 1.0, group ratio 1.0 (simulated {})",
                charge.model
            ),
            username: "demo".into(),
            token_name: "demo key".into(),
            model_name: charge.model.to_owned(),
            quota: charge.quota,
            prompt_tokens: charge.prompt_tokens,
            completion_tokens: charge.completion_tokens,
            use_time: 1,
            is_stream: charge.stream,
            channel: 1,
            token_id: 1,
            group: "default".into(),
            other: String::new(),
        };
        inner.next_log_id += 1;
        if inner.logs.len() >= MAX_LOGS {
            inner.logs.pop_front();
        }
        inner.logs.push_back(entry);
    }

    /// Gives back a pre-charged amount (a failed video task is refunded, as on new-api).
    pub fn refund(&self, quota: i64) {
        self.lock().used_quota -= quota;
    }

    pub fn used_quota(&self) -> i64 {
        self.lock().used_quota
    }

    /// Newest first, as the platform lists them.
    pub fn logs(&self) -> Vec<LogEntry> {
        self.lock().logs.iter().rev().cloned().collect()
    }

    pub fn host_file(&self, id: String, file: HostedFile) {
        let mut inner = self.lock();
        if inner.file_order.len() >= MAX_FILES {
            if let Some(old) = inner.file_order.pop_front() {
                inner.files.remove(&old);
            }
        }
        inner.file_order.push_back(id.clone());
        inner.files.insert(id, file);
    }

    pub fn hosted_file(&self, id: &str) -> Option<HostedFile> {
        self.lock().files.get(id).cloned()
    }

    pub fn add_video(&self, task: VideoTask) {
        self.lock().videos.insert(task.id.clone(), task);
    }

    /// Runs `f` on the task, so a poll can update it (e.g. mark a refund) in place.
    pub fn with_video<T>(&self, id: &str, f: impl FnOnce(&mut VideoTask) -> T) -> Option<T> {
        self.lock().videos.get_mut(id).map(f)
    }

    /// A key with some history looks like a real one in the balance screens: two weeks
    /// of calls, then three in the hour before start.
    fn seed_history(&self) {
        let older = ["gpt-4o-mini", "gpt-image-1", "gpt-4o-mini", "tts-1", "gpt-4o-mini", "text-embedding-3-small"];
        for day in (1..=13u64).rev() {
            for call in 0..(1 + day % 3) {
                let model = older[((day + call) % older.len() as u64) as usize];
                let quota = 1_500 + ((day * 7 + call * 13) % 11) as i64 * 900 + if model == "gpt-image-1" { 20_000 } else { 0 };
                self.charge(Charge { model, prompt_tokens: 300 + day * 11, completion_tokens: 120 + call * 40, quota, stream: true });
                let mut inner = self.lock();
                if let Some(last) = inner.logs.back_mut() {
                    last.created_at = self.started_unix.saturating_sub(day * 86_400 + call * 2_700 + 1_800);
                }
            }
        }
        let seeded = [
            ("gpt-4o-mini", 412, 268, 3_900, true, 3_600),
            ("gpt-image-1", 23, 272, 20_000, false, 2_400),
            ("text-embedding-3-small", 96, 0, 96, false, 1_200),
        ];
        for (model, prompt_tokens, completion_tokens, quota, stream, age) in seeded {
            self.charge(Charge {
                model,
                prompt_tokens,
                completion_tokens,
                quota,
                stream,
            });
            let mut inner = self.lock();
            if let Some(last) = inner.logs.back_mut() {
                last.created_at = self.started_unix.saturating_sub(age);
            }
        }
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
