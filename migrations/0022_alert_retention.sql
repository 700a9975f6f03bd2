-- Retention deletes alert firings by project and time (queue-consumer/enforce-retention.ts).
CREATE INDEX alert_firings_by_project ON alert_firings (project_id, fired_at);
