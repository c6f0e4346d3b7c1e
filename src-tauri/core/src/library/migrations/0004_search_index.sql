-- Search by meaning: one vector per indexed piece of text (a message is cut into chunks
-- when long), as little-endian f32 in a BLOB, with the model and dimension that made it.
-- Rows of an older model are dropped when the user switches models.
CREATE TABLE embeddings (
    id         INTEGER PRIMARY KEY,
    source     TEXT    NOT NULL CHECK (source IN ('message', 'prompt', 'revised_prompt', 'transcript')),
    item_id    INTEGER NOT NULL,
    chunk      INTEGER NOT NULL DEFAULT 0,
    model      TEXT    NOT NULL,
    dims       INTEGER NOT NULL,
    vector     BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (source, item_id, chunk)
);

-- Text that changes (a regenerated reply, an edited message, a transcript written at the
-- end) loses its vectors, so the indexer picks it up again.
CREATE TRIGGER embeddings_message_changed AFTER UPDATE OF content ON messages
    WHEN old.content IS NOT new.content BEGIN
    DELETE FROM embeddings WHERE source = 'message' AND item_id = new.id;
END;
CREATE TRIGGER embeddings_message_deleted AFTER DELETE ON messages BEGIN
    DELETE FROM embeddings WHERE source = 'message' AND item_id = old.id;
END;
CREATE TRIGGER embeddings_generation_changed AFTER UPDATE OF prompt, revised_prompt, result_text ON generations
    WHEN old.prompt IS NOT new.prompt OR old.revised_prompt IS NOT new.revised_prompt
        OR old.result_text IS NOT new.result_text BEGIN
    DELETE FROM embeddings WHERE source IN ('prompt', 'revised_prompt', 'transcript') AND item_id = new.id;
END;
CREATE TRIGGER embeddings_generation_deleted AFTER DELETE ON generations BEGIN
    DELETE FROM embeddings WHERE source IN ('prompt', 'revised_prompt', 'transcript') AND item_id = old.id;
END;
