-- Retention (queue-consumer/enforce-retention.ts): the housekeeping job finds what is past each
-- project's retention_days through these, in bounded chunks, without scanning the big tables.
CREATE INDEX events_by_project_time ON events (project_id, timestamp);
CREATE INDEX stored_items_by_received ON stored_items (project_id, received_at);
