-- Message pages join usage by message id, and each chat turn looks its usage row up:
-- without this index both scan the whole usage table.
CREATE INDEX usage_by_message ON usage_records (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX usage_by_generation ON usage_records (generation_id) WHERE generation_id IS NOT NULL;
