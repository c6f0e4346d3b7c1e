-- The whole library's schema. Times are Unix milliseconds (UTC). Media live on disk,
-- named by sha256; rows here point at them.

-- A platform the user connects to. The API key is never here: it lives in the OS keychain.
CREATE TABLE profiles (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('remote', 'demo')),
    name        TEXT    NOT NULL,
    base_url    TEXT    NOT NULL,
    -- chat transport: 'chat_completions' or 'responses'; video flavour: 'auto', 'tasks', 'videos'
    chat_api    TEXT    NOT NULL DEFAULT 'chat_completions' CHECK (chat_api IN ('chat_completions', 'responses')),
    video_api   TEXT    NOT NULL DEFAULT 'auto' CHECK (video_api IN ('auto', 'tasks', 'videos')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (kind, base_url)
);

-- Small key/value settings (JSON values): theme, language, the active profile, retention.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- The platform's model list as last fetched, so pickers work offline.
CREATE TABLE models (
    profile_id  INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    id          TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    kind_source TEXT    NOT NULL CHECK (kind_source IN ('gateway', 'name')),
    owned_by    TEXT,
    fetched_at  INTEGER NOT NULL,
    PRIMARY KEY (profile_id, id)
) WITHOUT ROWID;

-- The user's corrections of a model's kind; they outlive refreshes of the list.
CREATE TABLE model_kind_overrides (
    profile_id INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    model_id   TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    PRIMARY KEY (profile_id, model_id)
) WITHOUT ROWID;

-- AUTOINCREMENT: ids are never reused, so a deleted row's id never names a new one
-- (the UI caches by id; exports refer to ids).
CREATE TABLE conversations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    profile_id    INTEGER REFERENCES profiles (id) ON DELETE SET NULL,
    title         TEXT    NOT NULL DEFAULT '',
    model         TEXT,
    system_prompt TEXT,
    params        TEXT    NOT NULL DEFAULT '{}',  -- temperature, top_p, max_tokens, transport, tool permissions
    pinned        INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
-- The sidebar: pinned first, then most recently active.
CREATE INDEX conversations_sidebar ON conversations (pinned DESC, updated_at DESC, id DESC);

-- One row per message; a reply is written as it streams and ends complete/interrupted/failed.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    parent_id       INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    role            TEXT    NOT NULL CHECK (role IN ('system', 'developer', 'user', 'assistant', 'tool')),
    content         TEXT    NOT NULL DEFAULT '',
    reasoning       TEXT,
    tool_calls      TEXT,   -- JSON array as the model sent it
    tool_call_id    TEXT,
    model           TEXT,
    status          TEXT    NOT NULL CHECK (status IN ('complete', 'streaming', 'interrupted', 'failed')),
    error           TEXT,
    finish_reason   TEXT,
    request_id      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
-- Start-up finds replies a crash left streaming without a scan.
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    content, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;

-- A media file in the store, by content hash: generated outputs and the user's own uploads.
CREATE TABLE assets (
    id               INTEGER PRIMARY KEY,
    sha256           TEXT    NOT NULL UNIQUE,
    mime             TEXT    NOT NULL,
    size_bytes       INTEGER NOT NULL,
    width            INTEGER,
    height           INTEGER,
    duration_ms      INTEGER,
    origin           TEXT    NOT NULL CHECK (origin IN ('uploaded', 'generated')),
    original_name    TEXT,
    thumbnail_sha256 TEXT,
    poster_sha256    TEXT,
    created_at       INTEGER NOT NULL
);

-- Files attached to a message (vision images, audio), in order.
CREATE TABLE attachments (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    asset_id   INTEGER NOT NULL REFERENCES assets (id),
    PRIMARY KEY (message_id, position)
) WITHOUT ROWID;
CREATE INDEX attachments_by_asset ON attachments (asset_id);

-- Anything generated outside a chat reply: images, videos, speech, transcripts.
CREATE TABLE generations (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    profile_id           INTEGER REFERENCES profiles (id) ON DELETE SET NULL,
    kind                 TEXT    NOT NULL CHECK (kind IN ('image', 'video', 'speech', 'transcription', 'translation')),
    model                TEXT    NOT NULL,
    prompt               TEXT    NOT NULL DEFAULT '',
    revised_prompt       TEXT,
    params               TEXT    NOT NULL DEFAULT '{}',
    status               TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'complete', 'failed', 'cancelled')),
    remote_task_id       TEXT,
    progress             INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    error                TEXT,
    result_text          TEXT,   -- transcripts
    rating               INTEGER CHECK (rating BETWEEN 1 AND 5),
    favourite            INTEGER NOT NULL DEFAULT 0,
    source_message_id    INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    parent_generation_id INTEGER REFERENCES generations (id) ON DELETE SET NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    completed_at         INTEGER
);
-- The gallery: newest first, all kinds or one kind.
CREATE INDEX generations_gallery ON generations (created_at DESC, id DESC);
CREATE INDEX generations_by_kind ON generations (kind, created_at DESC, id DESC);
CREATE INDEX generations_favourites ON generations (favourite, created_at DESC, id DESC) WHERE favourite = 1;

CREATE VIRTUAL TABLE generations_fts USING fts5 (
    prompt, revised_prompt, result_text, content = 'generations', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER generations_fts_insert AFTER INSERT ON generations BEGIN
    INSERT INTO generations_fts (rowid, prompt, revised_prompt, result_text)
    VALUES (new.id, new.prompt, new.revised_prompt, new.result_text);
END;
CREATE TRIGGER generations_fts_delete AFTER DELETE ON generations BEGIN
    INSERT INTO generations_fts (generations_fts, rowid, prompt, revised_prompt, result_text)
    VALUES ('delete', old.id, old.prompt, old.revised_prompt, old.result_text);
END;
CREATE TRIGGER generations_fts_update AFTER UPDATE OF prompt, revised_prompt, result_text ON generations BEGIN
    INSERT INTO generations_fts (generations_fts, rowid, prompt, revised_prompt, result_text)
    VALUES ('delete', old.id, old.prompt, old.revised_prompt, old.result_text);
    INSERT INTO generations_fts (rowid, prompt, revised_prompt, result_text)
    VALUES (new.id, new.prompt, new.revised_prompt, new.result_text);
END;

-- Inputs and outputs of a generation (lineage: edit sources, masks, first frames).
CREATE TABLE generation_assets (
    generation_id INTEGER NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    role          TEXT    NOT NULL CHECK (role IN ('output', 'input', 'mask', 'first_frame')),
    position      INTEGER NOT NULL,
    asset_id      INTEGER NOT NULL REFERENCES assets (id),
    PRIMARY KEY (generation_id, role, position)
) WITHOUT ROWID;
CREATE INDEX generation_assets_by_asset ON generation_assets (asset_id);

-- Asynchronous work on the platform (video): enough to resume polling after a restart.
CREATE TABLE jobs (
    id             INTEGER PRIMARY KEY,
    generation_id  INTEGER NOT NULL UNIQUE REFERENCES generations (id) ON DELETE CASCADE,
    api            TEXT    NOT NULL CHECK (api IN ('tasks', 'videos')),
    remote_task_id TEXT,
    state          TEXT    NOT NULL CHECK (state IN ('submitting', 'queued', 'running', 'downloading', 'done', 'failed', 'cancelled')),
    next_poll_at   INTEGER,
    polls          INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX jobs_active ON jobs (next_poll_at) WHERE state IN ('submitting', 'queued', 'running', 'downloading');

-- What each call cost, as the platform reported it.
CREATE TABLE usage_records (
    id            INTEGER PRIMARY KEY,
    profile_id    INTEGER REFERENCES profiles (id) ON DELETE SET NULL,
    endpoint      TEXT    NOT NULL,
    model         TEXT    NOT NULL,
    message_id    INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    generation_id INTEGER REFERENCES generations (id) ON DELETE SET NULL,
    input_tokens  INTEGER,
    output_tokens INTEGER,
    total_tokens  INTEGER,
    request_id    TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX usage_by_time ON usage_records (created_at);
