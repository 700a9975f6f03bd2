-- Faultline's D1 schema, in full. Migrations in migrations/ build exactly this (a test checks).
-- Times are Unix milliseconds. Every list the dashboard shows has an index behind it.

-- Accounts ------------------------------------------------------------------------------------
CREATE TABLE organizations (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE projects (
  id INTEGER PRIMARY KEY,
  organization_id INTEGER NOT NULL REFERENCES organizations(id),
  slug TEXT NOT NULL,
  name TEXT NOT NULL,
  platform TEXT,
  -- Server-side data scrubbing, on by default like Sentry's; extra keys as a JSON array.
  scrub_enabled INTEGER NOT NULL DEFAULT 1,
  scrub_fields TEXT NOT NULL DEFAULT '[]',
  retention_days INTEGER NOT NULL DEFAULT 90,
  created_at INTEGER NOT NULL,
  -- Apdex's threshold T in ms (Sentry's default 300): satisfied up to T, tolerated up to 4T.
  apdex_threshold_ms INTEGER NOT NULL DEFAULT 300,
  UNIQUE (organization_id, slug)
);

-- DSN keys. Looked up by public_key on every ingest request (cached in the isolate).
CREATE TABLE project_keys (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  public_key TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL DEFAULT 'Default',
  enabled INTEGER NOT NULL DEFAULT 1,
  -- Events (error and transaction items) accepted per minute; NULL means unlimited.
  rate_limit_per_minute INTEGER,
  -- JSON array of allowed browser origins; empty means any origin.
  allowed_origins TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL
);
CREATE INDEX project_keys_by_project ON project_keys (project_id);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT,
  -- pbkdf2_sha256$<iterations>$<salt base64>$<hash base64>
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- Whether an issue assigned to them (by someone else) sends them an email.
  assignment_emails INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE memberships (
  organization_id INTEGER NOT NULL REFERENCES organizations(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  role TEXT NOT NULL DEFAULT 'member',
  PRIMARY KEY (organization_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE sessions (
  -- SHA-256 (hex) of the cookie value; the value itself is never stored.
  id TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id);

-- A browser's Web Push subscription for a user; removed when its push service answers 404 or 410.
CREATE TABLE push_subscriptions (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  endpoint TEXT NOT NULL,
  -- The browser's P-256 public key and 16-byte auth secret, base64url (RFC 8291).
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  -- The last alert delivery it took: a retried delivery skips it.
  last_delivery_id INTEGER,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX push_subscriptions_endpoint_unique ON push_subscriptions (endpoint);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions (user_id);

-- Emails to a member an issue was assigned to, sent by the Worker's minute job; next_attempt_at
-- is when a pending one may be tried (again), pushed out when claimed.
CREATE TABLE assignment_notifications (
  id INTEGER PRIMARY KEY,
  issue_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  assigned_by INTEGER,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  -- 'assigned', or 'regressed': the issue came back while assigned to them.
  kind TEXT NOT NULL DEFAULT 'assigned'
);
CREATE INDEX assignment_notifications_due ON assignment_notifications (status, next_attempt_at);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  organization_id INTEGER NOT NULL REFERENCES organizations(id),
  user_id INTEGER REFERENCES users(id),
  label TEXT NOT NULL,
  -- SHA-256 (hex) of the bearer token.
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX api_tokens_by_organization ON api_tokens (organization_id);

-- Ingest and digest ---------------------------------------------------------------------------
-- Bodies the consumer could not parse: kept with the reason, never silently dropped.
CREATE TABLE rejected_envelopes (
  id INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL UNIQUE,
  project_id INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT NOT NULL,
  body BLOB,
  body_key TEXT
);
CREATE INDEX rejected_envelopes_by_project ON rejected_envelopes (project_id, received_at);

-- Messages that kept failing and reached a dead-letter queue.
CREATE TABLE dead_letters (
  id INTEGER PRIMARY KEY,
  queue TEXT NOT NULL,
  message_id TEXT NOT NULL,
  project_id INTEGER,
  received_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  body BLOB,
  UNIQUE (queue, message_id)
);
CREATE INDEX dead_letters_by_project ON dead_letters (project_id, received_at);

-- Requests ingest refused for their content (400, 413) from a key of the project, per hour and
-- outcome reason, with the latest refusal's status, detail and time. No body is kept.
CREATE TABLE ingest_refusals (
  project_id INTEGER NOT NULL,
  hour INTEGER NOT NULL,
  reason TEXT NOT NULL,
  count INTEGER NOT NULL,
  status INTEGER NOT NULL,
  detail TEXT NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (project_id, hour, reason)
) WITHOUT ROWID;

-- Digest ----------------------------------------------------------------------------------------
-- One row per group of events (unique on project + fingerprint hash).
CREATE TABLE issues (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  -- SHA-256 (hex) of the grouping components; `grouping` keeps the components as JSON.
  fingerprint TEXT NOT NULL,
  grouping TEXT NOT NULL,
  type TEXT NOT NULL,
  title TEXT NOT NULL,
  culprit TEXT NOT NULL DEFAULT '',
  level TEXT NOT NULL,
  platform TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  -- unresolved | resolved | ignored; substatus: new | ongoing | regressed | escalating | forever | until_escalating
  status TEXT NOT NULL DEFAULT 'unresolved',
  substatus TEXT NOT NULL DEFAULT 'new',
  resolved_at INTEGER,
  -- Resolved in a release: events from this release or older ones do not regress the issue.
  resolved_in_release TEXT,
  ignored_until INTEGER,
  ignored_until_count INTEGER,
  ignored_count_base INTEGER,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  first_release TEXT,
  last_release TEXT,
  times_seen INTEGER NOT NULL DEFAULT 0,
  user_count INTEGER NOT NULL DEFAULT 0,
  last_event_id TEXT,
  -- 1: resolved in the next release (resolved_in_release names the newest release at the time, and
  -- events from it or older do not regress the issue); 0: resolved in resolved_in_release itself
  -- (events from older releases do not regress it).
  resolved_in_next_release INTEGER NOT NULL DEFAULT 0,
  -- The digest run that last created, regressed or escalated the issue.
  changed_by_run TEXT,
  -- The member the issue is assigned to; NULL when unassigned (migration 0026).
  assigned_user_id INTEGER REFERENCES users(id),
  UNIQUE (project_id, fingerprint)
);
-- The issue stream's sorts (last seen, first seen, events, users) within a project and status.
-- The default sort's index also holds title and culprit: free text is matched on the index.
CREATE INDEX issues_by_last_seen ON issues (project_id, status, last_seen DESC, id, title, culprit);
CREATE INDEX issues_by_first_seen ON issues (project_id, status, first_seen DESC);
CREATE INDEX issues_by_times_seen ON issues (project_id, status, times_seen DESC);
CREATE INDEX issues_by_user_count ON issues (project_id, status, user_count DESC);
-- A release's new issues: its newGroups and the release page's list (migration 0025).
CREATE INDEX issues_by_first_release ON issues (project_id, first_release);
-- Search by assignee (assigned:me, is:assigned); without status or last_seen, so the digest's
-- updates of those never rewrite it (migration 0026).
CREATE INDEX issues_by_assignee ON issues (project_id, assigned_user_id);

-- One row per event, unique on (project, event_id): a redelivered event inserts nothing.
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  event_id TEXT NOT NULL,
  issue_id INTEGER NOT NULL REFERENCES issues(id),
  timestamp INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  level TEXT NOT NULL,
  title TEXT NOT NULL,
  release TEXT,
  environment TEXT,
  user_key TEXT,
  -- The event's tags as a JSON array of [key, value] pairs.
  tags TEXT NOT NULL DEFAULT '[]',
  -- The full normalized event, gzip'd JSON.
  data BLOB NOT NULL,
  -- The digest run that inserted the row: counters move only for rows of the current run.
  ingest_batch TEXT NOT NULL,
  UNIQUE (project_id, event_id)
);
CREATE INDEX events_by_issue ON events (issue_id, timestamp DESC);
CREATE INDEX events_by_batch ON events (ingest_batch, issue_id);

-- Events per issue per hour (charts, sparklines, frequency alerts).
CREATE TABLE issue_hourly (
  issue_id INTEGER NOT NULL,
  hour INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (issue_id, hour)
) WITHOUT ROWID;

-- Events per project per hour (project sparklines).
CREATE TABLE project_hourly (
  project_id INTEGER NOT NULL,
  hour INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (project_id, hour)
) WITHOUT ROWID;

-- Distinct users per issue (user_key is "id:..", "email:..", "username:.." or "ip:..").
CREATE TABLE issue_users (
  issue_id INTEGER NOT NULL,
  user_key TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  ingest_batch TEXT NOT NULL,
  PRIMARY KEY (issue_id, user_key)
) WITHOUT ROWID;
CREATE INDEX issue_users_by_batch ON issue_users (ingest_batch, issue_id);

-- Tag values per issue, with counts (the issue page's tag breakdown).
CREATE TABLE issue_tags (
  issue_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  count INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  -- The issue's project (added by migration 0023, hence last).
  project_id INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (issue_id, key, value)
) WITHOUT ROWID;
-- The issue stream's `environment:`, `release:` and tag filters: a project's issues holding a value.
CREATE INDEX issue_tags_by_value ON issue_tags (project_id, key, value, issue_id);

-- When events of a project named a release (organization_releases below is the release itself).
CREATE TABLE releases (
  project_id INTEGER NOT NULL,
  version TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (project_id, version)
) WITHOUT ROWID;

CREATE TABLE environments (
  project_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  PRIMARY KEY (project_id, name)
) WITHOUT ROWID;

-- Items that are not error events (transactions, spans, sessions, client reports, feedback,
-- check-ins, unknown types): kept as sent, one row per envelope item, and counted per day.
CREATE TABLE stored_items (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL,
  message_id TEXT NOT NULL,
  item_index INTEGER NOT NULL,
  item_type TEXT NOT NULL,
  event_id TEXT,
  received_at INTEGER NOT NULL,
  payload BLOB,
  -- R2 key, for attachments.
  body_key TEXT,
  ingest_batch TEXT NOT NULL,
  UNIQUE (message_id, item_index)
);
CREATE INDEX stored_items_by_project ON stored_items (project_id, item_type, received_at);
CREATE INDEX stored_items_by_event ON stored_items (project_id, event_id);
CREATE INDEX stored_items_by_batch ON stored_items (ingest_batch);

CREATE TABLE item_counts (
  project_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  item_type TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (project_id, day, item_type)
) WITHOUT ROWID;

-- User feedback (queue-consumer/digest/items/feedback/): feedback items, user reports, the
-- crash-report dialog and the API's POST, one row per (project, feedback id). The issue is found
-- through events on (project, event_id) when read; a screenshot is a stored_items attachment
-- under the feedback's own event id.
CREATE TABLE user_feedback (
  id INTEGER PRIMARY KEY NOT NULL,
  project_id INTEGER NOT NULL,
  feedback_id TEXT NOT NULL,
  event_id TEXT,
  name TEXT DEFAULT '' NOT NULL,
  email TEXT DEFAULT '' NOT NULL,
  message TEXT NOT NULL,
  url TEXT,
  environment TEXT,
  release TEXT,
  -- feedback, user_report, crash_report or api
  source TEXT NOT NULL,
  date_created INTEGER NOT NULL,
  -- The rest of a feedback event, scrubbed (JSON).
  data TEXT,
  ingest_batch TEXT NOT NULL
);
CREATE UNIQUE INDEX user_feedback_project_id_feedback_id_unique ON user_feedback (project_id, feedback_id);
CREATE INDEX user_feedback_by_project ON user_feedback (project_id, date_created DESC, id DESC);
CREATE INDEX user_feedback_by_event ON user_feedback (project_id, event_id);
-- The feedback a digest run stored, for the new_feedback alert trigger.
CREATE INDEX user_feedback_by_batch ON user_feedback (ingest_batch);

-- Performance ----------------------------------------------------------------------------------
-- Transactions and span streams (queue-consumer/digest/items/transaction/). WITHOUT ROWID: each
-- row written is one row billed. Span trees are in R2; trace_items says where.

-- One row per transaction (a transaction item or a segment span) and per group of spans that came
-- without their segment. Keyed by the day it ended (retention deletes by range); a transaction
-- sent or delivered again names the same trace and span and is stored once.
CREATE TABLE trace_items (
  project_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  -- transaction, segment or spans.
  kind TEXT NOT NULL,
  event_id TEXT,
  parent_span_id TEXT,
  name TEXT NOT NULL,
  op TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at REAL NOT NULL,
  duration_ms REAL NOT NULL,
  span_count INTEGER NOT NULL,
  -- The batch's R2 object, and where in it this tree's gzip'd JSON is.
  body_key TEXT NOT NULL,
  body_offset INTEGER NOT NULL,
  body_length INTEGER NOT NULL,
  ingest_batch TEXT NOT NULL,
  PRIMARY KEY (project_id, day, trace_id, span_id)
) WITHOUT ROWID;

-- Error events with a trace id (contexts.trace.trace_id): how a trace finds its errors.
CREATE TABLE trace_errors (
  project_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  trace_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  issue_id INTEGER NOT NULL,
  span_id TEXT,
  timestamp INTEGER NOT NULL,
  PRIMARY KEY (project_id, day, trace_id, event_id)
) WITHOUT ROWID;

-- Per hour, transaction name, op, environment and release ('' when unset): counts, failures,
-- Apdex counts, the sum of durations (ms), their sketch (JSON of bucket -> count, see
-- protocol/duration-sketch.ts), and the hour's slowest and latest transaction.
CREATE TABLE transaction_rollups (
  project_id INTEGER NOT NULL,
  hour INTEGER NOT NULL,
  name TEXT NOT NULL,
  op TEXT NOT NULL,
  environment TEXT NOT NULL,
  release TEXT NOT NULL,
  count INTEGER NOT NULL,
  failures INTEGER NOT NULL,
  satisfied INTEGER NOT NULL,
  tolerated INTEGER NOT NULL,
  duration_sum REAL NOT NULL,
  sketch TEXT NOT NULL,
  slowest_ms REAL NOT NULL,
  slowest_trace_id TEXT NOT NULL,
  slowest_span_id TEXT NOT NULL,
  latest_at REAL NOT NULL,
  latest_trace_id TEXT NOT NULL,
  latest_span_id TEXT NOT NULL,
  PRIMARY KEY (project_id, hour, name, op, environment, release)
) WITHOUT ROWID;
CREATE INDEX transaction_rollups_by_name ON transaction_rollups (project_id, name, hour);

-- The totals of transaction_rollups per key over every hour from transaction_recent_since.hour on:
-- the Performance table of the last 24 hours reads one row per key, not one per key and hour.
CREATE TABLE transaction_recent_rollups (
  project_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  op TEXT NOT NULL,
  environment TEXT NOT NULL,
  release TEXT NOT NULL,
  count INTEGER NOT NULL,
  failures INTEGER NOT NULL,
  satisfied INTEGER NOT NULL,
  tolerated INTEGER NOT NULL,
  duration_sum REAL NOT NULL,
  sketch TEXT NOT NULL,
  PRIMARY KEY (project_id, name, op, environment, release)
) WITHOUT ROWID;

-- One row (id 1): the first hour transaction_recent_rollups holds.
CREATE TABLE transaction_recent_since (
  id INTEGER PRIMARY KEY NOT NULL,
  hour INTEGER NOT NULL
);

-- Each Web Vital (lcp, fcp, cls, inp, ttfb) per the same key.
CREATE TABLE transaction_vital_rollups (
  project_id INTEGER NOT NULL,
  hour INTEGER NOT NULL,
  name TEXT NOT NULL,
  op TEXT NOT NULL,
  environment TEXT NOT NULL,
  release TEXT NOT NULL,
  vital TEXT NOT NULL,
  count INTEGER NOT NULL,
  value_sum REAL NOT NULL,
  sketch TEXT NOT NULL,
  PRIMARY KEY (project_id, hour, name, op, environment, release, vital)
) WITHOUT ROWID;

-- Release health -------------------------------------------------------------------------------
-- Each session's state: its bucket (hour, release, environment, user) and worst status so far
-- (0 ok, 1 errored, 2 abnormal, 3 crashed) with the seq that set it.
CREATE TABLE session_states (
  project_id INTEGER NOT NULL,
  sid TEXT NOT NULL,
  hour INTEGER NOT NULL,
  release TEXT NOT NULL,
  environment TEXT NOT NULL,
  user TEXT NOT NULL,
  seq INTEGER NOT NULL,
  status INTEGER NOT NULL,
  PRIMARY KEY (project_id, sid)
) WITHOUT ROWID;
-- Sessions per (project, release, environment, hour); errored, abnormal and crashed exclude each other.
CREATE TABLE session_rollups (
  project_id INTEGER NOT NULL,
  release TEXT NOT NULL,
  environment TEXT NOT NULL,
  hour INTEGER NOT NULL,
  sessions INTEGER NOT NULL,
  errored INTEGER NOT NULL,
  abnormal INTEGER NOT NULL,
  crashed INTEGER NOT NULL,
  users INTEGER NOT NULL,
  crashed_users INTEGER NOT NULL,
  PRIMARY KEY (project_id, release, environment, hour)
) WITHOUT ROWID;
-- The distinct users of each rollup row, and whether one of their sessions there crashed.
CREATE TABLE session_users (
  project_id INTEGER NOT NULL,
  release TEXT NOT NULL,
  environment TEXT NOT NULL,
  hour INTEGER NOT NULL,
  user TEXT NOT NULL,
  crashed INTEGER NOT NULL,
  PRIMARY KEY (project_id, release, environment, hour, user)
) WITHOUT ROWID;
-- Each request-mode aggregate item counted, by the queue message that brought it.
CREATE TABLE session_aggregate_items (
  project_id INTEGER NOT NULL,
  message_id TEXT NOT NULL,
  item_index INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  ingest_batch TEXT NOT NULL,
  PRIMARY KEY (project_id, message_id, item_index)
) WITHOUT ROWID;

-- Dashboard ------------------------------------------------------------------------------------
-- Failed logins per email and per client address, which slow down password guessing.
CREATE TABLE login_throttles (
  -- "email:<lower-case address>" or "ip:<client address>"
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  last_failure_at INTEGER NOT NULL,
  -- No password is checked for this key before this time.
  blocked_until INTEGER NOT NULL
) WITHOUT ROWID;

-- Invitations to an organization: the link carries a token, stored as its SHA-256 hex.
CREATE TABLE invites (
  id INTEGER PRIMARY KEY,
  organization_id INTEGER NOT NULL REFERENCES organizations(id),
  email TEXT NOT NULL COLLATE NOCASE,
  role TEXT NOT NULL DEFAULT 'member',
  token_hash TEXT NOT NULL UNIQUE,
  invited_by INTEGER REFERENCES users(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  accepted_at INTEGER
);
CREATE INDEX invites_by_organization ON invites (organization_id, created_at);

-- The first-run setup (first admin, organization, project, DSN key). One row at most: a second
-- setup, even a concurrent one, fails on the primary key and its whole batch rolls back.
CREATE TABLE instance_setup (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  user_id INTEGER NOT NULL REFERENCES users(id),
  completed_at INTEGER NOT NULL
);

-- Team workflow ---------------------------------------------------------------------------------
-- What happened to an issue, as Sentry's Activity: status changes, assignment, merges and comments
-- (type 'note', data {"text"}), by a member or, user_id NULL, by Faultline itself (a regression the
-- digest saw). first_seen is read from the issue. Deleted with the issue by retention (migration 0030).
CREATE TABLE issue_activity (
  id INTEGER PRIMARY KEY,
  issue_id INTEGER NOT NULL,
  project_id INTEGER NOT NULL,
  -- Sentry's type names: set_resolved, set_resolved_in_release, set_unresolved, set_ignored,
  -- set_regression, assigned, unassigned, note, merge.
  type TEXT NOT NULL,
  user_id INTEGER REFERENCES users(id),
  data TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
-- An issue's trail, newest first; its comments are the rows of type note among them.
CREATE INDEX issue_activity_by_issue ON issue_activity (issue_id, created_at DESC);

-- Fingerprints of issues merged into another: the digest looks a fingerprint up here before
-- issues, so a new event of a merged child's fingerprint lands in the parent. Deleted with the
-- parent by retention (migration 0032).
CREATE TABLE issue_merges (
  project_id INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  issue_id INTEGER NOT NULL,
  merged_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, fingerprint)
);
-- By issue: merging a parent on, and deleting with it.
CREATE INDEX issue_merges_by_issue ON issue_merges (issue_id);

-- Alerts ----------------------------------------------------------------------------------------
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
-- Retention deletes firings by project and time.
CREATE INDEX alert_firings_by_project ON alert_firings (project_id, fired_at);

-- Each metric trigger's state, kept by the minute job: over its threshold or not.
CREATE TABLE metric_alert_states (
  rule_id INTEGER NOT NULL,
  trigger_key TEXT NOT NULL,
  firing INTEGER NOT NULL,
  last_value REAL,
  changed_at INTEGER NOT NULL,
  PRIMARY KEY (rule_id, trigger_key)
);

-- The current hour's totals of a metric trigger at each minute, kept an hour: windows under an hour.
CREATE TABLE metric_alert_snapshots (
  rule_id INTEGER NOT NULL,
  trigger_key TEXT NOT NULL,
  minute INTEGER NOT NULL,
  hour INTEGER NOT NULL,
  count INTEGER NOT NULL,
  failures INTEGER NOT NULL,
  sketch TEXT NOT NULL,
  PRIMARY KEY (rule_id, trigger_key, minute)
);
CREATE INDEX metric_alert_snapshots_by_minute ON metric_alert_snapshots (minute);

-- The last notification per (rule, issue): the frequencyMinutes throttle.
CREATE TABLE alert_throttle (
  rule_id INTEGER NOT NULL,
  issue_id INTEGER NOT NULL,
  last_fired_at INTEGER NOT NULL,
  evaluation_id TEXT NOT NULL,
  PRIMARY KEY (rule_id, issue_id)
) WITHOUT ROWID;

-- The alert evaluation of each digest run whose projects have rules, from the run's commit (same
-- transaction) until its deliveries are queued; a row left behind is claimed when due and the
-- evaluation run again with the same id and clock.
CREATE TABLE alert_evaluations_pending (
  run TEXT PRIMARY KEY NOT NULL,
  evaluation_id TEXT NOT NULL,
  -- The evaluation's clock.
  created_at INTEGER NOT NULL,
  -- [[issue id, "new" | "regressed" | "escalating"], ...]: what the run did to issues.
  changes TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL
);
CREATE INDEX alert_evaluations_pending_by_evaluation ON alert_evaluations_pending (evaluation_id);
-- Claimed when due by the next digest run or the hourly job, with backoff between tries.
CREATE INDEX alert_evaluations_pending_by_next_attempt ON alert_evaluations_pending (next_attempt_at);

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

-- Releases (migration 0025) ---------------------------------------------------------------------
-- Sentry's model: a release belongs to an organization and is linked to projects. The API
-- creates it (sentry-cli), and so does the digest the first time an event names its version;
-- the per-project `releases` rows above say when events were seen and link the projects whose
-- events named it, `release_projects` the projects the API linked.
CREATE TABLE organization_releases (
  id INTEGER PRIMARY KEY,
  organization_id INTEGER NOT NULL REFERENCES organizations(id),
  version TEXT NOT NULL,
  ref TEXT,
  url TEXT,
  -- open | archived
  status TEXT NOT NULL DEFAULT 'open',
  date_created INTEGER NOT NULL,
  date_started INTEGER,
  date_released INTEGER,
  -- Written with the release's commits: how many, and their distinct authors as [{name, email}].
  commit_count INTEGER NOT NULL DEFAULT 0,
  authors TEXT NOT NULL DEFAULT '[]',
  -- Written with each deploy.
  deploy_count INTEGER NOT NULL DEFAULT 0,
  last_deploy_id INTEGER
);
CREATE UNIQUE INDEX organization_releases_organization_id_version_unique ON organization_releases (organization_id, version);
-- The release list, newest first, and its keyset cursor.
CREATE INDEX organization_releases_by_date ON organization_releases (organization_id, date_created DESC, id DESC);

CREATE TABLE release_projects (
  release_id INTEGER NOT NULL REFERENCES organization_releases(id),
  project_id INTEGER NOT NULL REFERENCES projects(id),
  PRIMARY KEY (release_id, project_id)
);

CREATE TABLE release_deploys (
  id INTEGER PRIMARY KEY,
  release_id INTEGER NOT NULL REFERENCES organization_releases(id),
  environment TEXT NOT NULL,
  name TEXT,
  url TEXT,
  date_started INTEGER,
  date_finished INTEGER NOT NULL
);
CREATE INDEX release_deploys_by_release ON release_deploys (release_id, date_finished DESC, id DESC);

-- A release's commits, newest first (position 0 is its last commit): whole commits as sentry-cli
-- reads them from a local checkout, or from `refs` each repository's head commit (with the
-- previous release's head, when given).
CREATE TABLE release_commits (
  release_id INTEGER NOT NULL REFERENCES organization_releases(id),
  position INTEGER NOT NULL,
  commit_id TEXT NOT NULL,
  repository TEXT,
  message TEXT,
  author_name TEXT,
  author_email TEXT,
  timestamp INTEGER,
  previous_commit_id TEXT,
  PRIMARY KEY (release_id, position)
);

-- Cron monitors (https://docs.sentry.io/product/crons/): created by a check-in's monitor_config or
-- the API; `config` is the API's shape (protocol/monitor-config.ts).
CREATE TABLE monitors (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  slug TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active',
  config TEXT NOT NULL,
  date_created INTEGER NOT NULL
);
CREATE UNIQUE INDEX monitors_project_id_slug_unique ON monitors (project_id, slug);

-- A monitor in one environment: its status, its open incident, when its next run is due.
CREATE TABLE monitor_environments (
  id INTEGER PRIMARY KEY,
  monitor_id INTEGER NOT NULL REFERENCES monitors(id),
  name TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active',
  incident_open INTEGER NOT NULL DEFAULT 0,
  last_checkin INTEGER,
  next_checkin INTEGER,
  -- The next run's due time plus the margin: past it, the minute job records the run as missed.
  next_checkin_latest INTEGER
);
CREATE UNIQUE INDEX monitor_environments_monitor_id_name_unique ON monitor_environments (monitor_id, name);
-- The minute job's missed runs, oldest due first; disabled monitors have none.
CREATE INDEX monitor_environments_by_due ON monitor_environments (next_checkin_latest) WHERE next_checkin_latest IS NOT NULL;

-- One run of a monitor (or a missed one), unique per project and check-in id.
CREATE TABLE monitor_checkins (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL,
  monitor_id INTEGER NOT NULL REFERENCES monitors(id),
  monitor_environment_id INTEGER NOT NULL REFERENCES monitor_environments(id),
  guid TEXT NOT NULL,
  status TEXT NOT NULL,
  duration INTEGER,
  date_created INTEGER NOT NULL,
  date_updated INTEGER NOT NULL,
  expected_time INTEGER,
  timeout_at INTEGER,
  release TEXT,
  trace_id TEXT,
  -- The delivery key of the all-zero-id check-in that ended this run.
  completion_key TEXT,
  -- The event this check-in's failure becomes, when it counts toward an issue.
  issue_event_id TEXT,
  -- failure (counted toward an issue) or recovery (resolved one).
  incident TEXT,
  changed_by_run TEXT NOT NULL
);
CREATE UNIQUE INDEX monitor_checkins_project_id_guid_unique ON monitor_checkins (project_id, guid);
-- A monitor environment's check-ins, newest first: the API, and the threshold streaks.
CREATE INDEX monitor_checkins_by_environment ON monitor_checkins (monitor_environment_id, date_created DESC, id DESC);
CREATE INDEX monitor_checkins_by_run ON monitor_checkins (changed_by_run, monitor_environment_id, date_created DESC, id DESC);
-- The minute job's timed-out runs.
CREATE INDEX monitor_checkins_in_progress ON monitor_checkins (timeout_at) WHERE status = 'in_progress';
CREATE UNIQUE INDEX monitor_checkins_by_completion_key ON monitor_checkins (project_id, completion_key) WHERE completion_key IS NOT NULL;

-- Uptime monitors: URLs a project watches, checked by the minute job every interval_seconds.
CREATE TABLE uptime_monitors (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  method TEXT NOT NULL DEFAULT 'GET',
  expected_status_min INTEGER NOT NULL DEFAULT 200,
  expected_status_max INTEGER NOT NULL DEFAULT 299,
  timeout_ms INTEGER NOT NULL,
  interval_seconds INTEGER NOT NULL,
  body_keyword TEXT,
  environment TEXT NOT NULL DEFAULT 'production',
  status TEXT NOT NULL DEFAULT 'active',
  failure_threshold INTEGER NOT NULL,
  recovery_threshold INTEGER NOT NULL,
  -- The scheduled time of the next check (ms).
  next_due_at INTEGER NOT NULL,
  -- ok, or failed while an issue is open.
  uptime_status TEXT NOT NULL DEFAULT 'ok',
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  consecutive_successes INTEGER NOT NULL DEFAULT 0,
  last_checked_at INTEGER,
  date_created INTEGER NOT NULL
);
-- The minute job's due monitors, oldest first; disabled ones are not in it.
CREATE INDEX uptime_monitors_by_due ON uptime_monitors (next_due_at) WHERE status = 'active';
CREATE INDEX uptime_monitors_by_project ON uptime_monitors (project_id);

-- One check of an uptime monitor, unique per (monitor, scheduled time).
CREATE TABLE uptime_checks (
  id INTEGER PRIMARY KEY,
  monitor_id INTEGER NOT NULL REFERENCES uptime_monitors(id),
  scheduled_at INTEGER NOT NULL,
  date_created INTEGER NOT NULL,
  status TEXT NOT NULL,
  http_status INTEGER,
  duration_ms INTEGER NOT NULL,
  reason TEXT,
  -- The event this check's failure becomes, when it counts toward an issue.
  issue_event_id TEXT,
  -- failure (counted toward an issue) or recovery (resolved it).
  incident TEXT,
  changed_by_run TEXT NOT NULL
);
CREATE UNIQUE INDEX uptime_checks_monitor_id_scheduled_at_unique ON uptime_checks (monitor_id, scheduled_at);
-- The digest's gate on failure events: few rows, only failures.
CREATE INDEX uptime_checks_failure_events ON uptime_checks (issue_event_id) WHERE incident = 'failure';

-- Artifact bundles sentry-cli uploaded (source maps and minified sources), unique per organization
-- by their sha1; their files are in R2. dist is '' when the upload named none.
CREATE TABLE artifact_bundles (
  id INTEGER PRIMARY KEY,
  organization_id INTEGER NOT NULL REFERENCES organizations(id),
  checksum TEXT NOT NULL,
  bundle_id TEXT,
  release TEXT,
  dist TEXT NOT NULL DEFAULT '',
  file_count INTEGER NOT NULL,
  size INTEGER NOT NULL,
  date_added INTEGER NOT NULL,
  -- When the digest last mapped a frame with it, or it was uploaded again (at most once a day).
  last_used_at INTEGER
);
CREATE UNIQUE INDEX artifact_bundles_organization_id_checksum_unique ON artifact_bundles (organization_id, checksum);
-- The digest's lookup by release and dist (frames without a debug id).
CREATE INDEX artifact_bundles_by_release ON artifact_bundles (organization_id, release, dist);

-- The projects a bundle was uploaded for.
CREATE TABLE artifact_bundle_projects (
  project_id INTEGER NOT NULL REFERENCES projects(id),
  artifact_bundle_id INTEGER NOT NULL REFERENCES artifact_bundles(id),
  PRIMARY KEY (project_id, artifact_bundle_id)
);
-- Whether any project still keeps a bundle (deleting it, and retention).
CREATE INDEX artifact_bundle_projects_by_bundle ON artifact_bundle_projects (artifact_bundle_id);

-- One file of a bundle: minified_source, source_map or source, with its URL, debug id and
-- sourcemap header; its bytes are in R2 at object_key.
CREATE TABLE artifact_bundle_files (
  id INTEGER PRIMARY KEY,
  artifact_bundle_id INTEGER NOT NULL REFERENCES artifact_bundles(id),
  file_type TEXT NOT NULL,
  url TEXT,
  debug_id TEXT,
  sourcemap TEXT,
  object_key TEXT NOT NULL,
  size INTEGER NOT NULL
);
-- The digest's lookups: by debug id, and by URL within a release's bundles.
CREATE INDEX artifact_bundle_files_by_debug_id ON artifact_bundle_files (debug_id) WHERE debug_id IS NOT NULL;
CREATE INDEX artifact_bundle_files_by_url ON artifact_bundle_files (artifact_bundle_id, url);

-- An issue's events to map again through the source maps present now (its "Reprocess"): the
-- latest request per issue; finished_at is null while the minute job has it to do.
CREATE TABLE issue_reprocessing (
  issue_id INTEGER PRIMARY KEY,
  requested_at INTEGER NOT NULL,
  finished_at INTEGER,
  events INTEGER NOT NULL DEFAULT 0,
  improved INTEGER NOT NULL DEFAULT 0
);
