-- Alerts: rules, where they send, when they fired, and every delivery attempt.

-- Issue alert rules of a project, in the shape of Sentry's alert builder: WHEN (`triggers`, any or
-- all of them), IF (`filters`, all of them), THEN (the rule's targets). `triggers` and `filters`
-- are JSON in the shape of db/alert-rule-definition.ts.
CREATE TABLE alert_rules (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  -- any | all
  match TEXT NOT NULL DEFAULT 'any',
  triggers TEXT NOT NULL,
  filters TEXT NOT NULL DEFAULT '[]',
  -- At most one notification per rule and issue in this many minutes.
  frequency_minutes INTEGER NOT NULL DEFAULT 30,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX alert_rules_by_project ON alert_rules (project_id);

-- Where a rule sends: slack | discord | teams | webhook (`url`) or email (`address`). A webhook
-- target signs each body with its `secret` (Sentry-Hook-Signature).
CREATE TABLE alert_targets (
  id INTEGER PRIMARY KEY,
  rule_id INTEGER NOT NULL REFERENCES alert_rules(id),
  type TEXT NOT NULL,
  url TEXT,
  address TEXT,
  secret TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX alert_targets_by_rule ON alert_targets (rule_id);

-- One row per notification a rule sends about an issue. `window_key` names the occasion
-- ('new_issue', 'regression:<evaluation>', 'event_frequency:5m:<window start>', ...): unique per
-- (rule, issue, window) and per (rule, issue, evaluation), so neither a redelivered batch nor a
-- retried evaluation can notify twice. `context` freezes what the notification shows (JSON).
CREATE TABLE alert_firings (
  id INTEGER PRIMARY KEY,
  rule_id INTEGER NOT NULL,
  issue_id INTEGER NOT NULL,
  project_id INTEGER NOT NULL,
  window_key TEXT NOT NULL,
  evaluation_id TEXT NOT NULL,
  fired_at INTEGER NOT NULL,
  context TEXT NOT NULL,
  UNIQUE (rule_id, issue_id, window_key),
  UNIQUE (rule_id, issue_id, evaluation_id)
);
CREATE INDEX alert_firings_by_evaluation ON alert_firings (evaluation_id);

-- The last notification per (rule, issue): the frequencyMinutes throttle.
CREATE TABLE alert_throttle (
  rule_id INTEGER NOT NULL,
  issue_id INTEGER NOT NULL,
  last_fired_at INTEGER NOT NULL,
  evaluation_id TEXT NOT NULL,
  PRIMARY KEY (rule_id, issue_id)
) WITHOUT ROWID;

-- One delivery per firing and target (the dashboard's delivery log). Rules and targets may be
-- deleted later; the log keeps their ids and the target's type.
CREATE TABLE alert_deliveries (
  id INTEGER PRIMARY KEY,
  firing_id INTEGER NOT NULL REFERENCES alert_firings(id),
  project_id INTEGER NOT NULL,
  rule_id INTEGER NOT NULL,
  issue_id INTEGER NOT NULL,
  target_id INTEGER NOT NULL,
  target_type TEXT NOT NULL,
  -- pending | sending | retrying | sent | failed
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  -- While one consumer is sending (status 'sending'), a duplicate queue message leaves it alone.
  lease_until INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  sent_at INTEGER,
  UNIQUE (firing_id, target_id)
);
CREATE INDEX alert_deliveries_by_project ON alert_deliveries (project_id, created_at DESC);
CREATE INDEX alert_deliveries_by_rule ON alert_deliveries (rule_id, created_at DESC);

-- Every attempt to send a delivery: what the target answered and how long it took.
CREATE TABLE alert_delivery_attempts (
  id INTEGER PRIMARY KEY,
  delivery_id INTEGER NOT NULL REFERENCES alert_deliveries(id),
  attempt INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  -- The target's HTTP status; NULL when there was none (timeout, network error, email).
  http_status INTEGER,
  -- sent | retry | failed
  outcome TEXT NOT NULL,
  error TEXT,
  retry_delay_seconds INTEGER
);
CREATE INDEX alert_delivery_attempts_by_delivery ON alert_delivery_attempts (delivery_id, attempt);
