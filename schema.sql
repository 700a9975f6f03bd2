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
  created_at INTEGER NOT NULL
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
-- Envelopes accepted at the edge, as the consumer received them (one row per queue message id).
CREATE TABLE received_envelopes (
  id INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL UNIQUE,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  event_id TEXT,
  kind TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  size INTEGER NOT NULL,
  item_types TEXT NOT NULL,
  -- The body inline, or the R2 key it was stored under.
  body BLOB,
  body_key TEXT
);
CREATE INDEX received_envelopes_by_project ON received_envelopes (project_id, received_at);

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
