-- Dashboard: login throttling, invitations, and the one-time setup of a new instance.

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
