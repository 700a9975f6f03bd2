// The D1 data model. Migrations are generated from it (`npm run db:generate -- <name>`, see
// README.md); schema.sql is the readable full schema. test/db/schema.test.ts checks this file, schema.sql
// and the migrated database agree; test/offline/db-generate.test.mjs that no change awaits a migration.
// Index columns say DESC where the database has it, so a generated table rebuild keeps the order.
import { desc, sql } from "drizzle-orm";
import { blob, index, integer, primaryKey, real, sqliteTable, text, unique, uniqueIndex } from "drizzle-orm/sqlite-core";

export const organizations = sqliteTable("organizations", {
  id: integer("id").primaryKey(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const projects = sqliteTable(
  "projects",
  {
    id: integer("id").primaryKey(),
    organizationId: integer("organization_id")
      .notNull()
      .references(() => organizations.id),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    platform: text("platform"),
    scrubEnabled: integer("scrub_enabled", { mode: "boolean" }).notNull().default(true),
    scrubFields: text("scrub_fields", { mode: "json" }).$type<string[]>().notNull().default([]),
    retentionDays: integer("retention_days").notNull().default(90),
    createdAt: integer("created_at").notNull(),
    /** Apdex's T: a transaction is satisfied up to it and tolerated up to 4T (Sentry's default, 300 ms). */
    apdexThresholdMs: integer("apdex_threshold_ms").notNull().default(300),
  },
  (t) => [unique().on(t.organizationId, t.slug)],
);

export const projectKeys = sqliteTable(
  "project_keys",
  {
    id: integer("id").primaryKey(),
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    publicKey: text("public_key").notNull().unique(),
    label: text("label").notNull().default("Default"),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    rateLimitPerMinute: integer("rate_limit_per_minute"),
    allowedOrigins: text("allowed_origins", { mode: "json" }).$type<string[]>().notNull().default([]),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("project_keys_by_project").on(t.projectId)],
);

export const users = sqliteTable("users", {
  id: integer("id").primaryKey(),
  email: text("email").notNull().unique(),
  name: text("name"),
  passwordHash: text("password_hash").notNull(),
  createdAt: integer("created_at").notNull(),
  /** Whether an issue assigned to them (by someone else) sends them an email. */
  assignmentEmails: integer("assignment_emails", { mode: "boolean" }).notNull().default(true),
});

export const memberships = sqliteTable(
  "memberships",
  {
    organizationId: integer("organization_id")
      .notNull()
      .references(() => organizations.id),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    role: text("role").notNull().default("member"),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.userId] }), index("memberships_by_user").on(t.userId)],
);

export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("sessions_by_user").on(t.userId)],
);

/**
 * A browser's Web Push subscription (https://www.w3.org/TR/push-api/#pushsubscription) for a
 * user: where the push service takes messages for it, and the keys messages are encrypted to
 * (RFC 8291). Removed when the push service answers 404 or 410 for it.
 */
export const pushSubscriptions = sqliteTable(
  "push_subscriptions",
  {
    id: integer("id").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    endpoint: text("endpoint").notNull().unique(),
    /** The browser's P-256 public key, base64url of the uncompressed point. */
    p256dh: text("p256dh").notNull(),
    /** The 16-byte authentication secret, base64url. */
    auth: text("auth").notNull(),
    /** The last alert delivery this subscription took: a retried delivery skips it. */
    lastDeliveryId: integer("last_delivery_id"),
    createdAt: integer("created_at").notNull(),
  },
  // By user: an alert's push target looks up the member's browsers.
  (t) => [index("push_subscriptions_by_user").on(t.userId)],
);

/**
 * Emails to send to a member an issue was assigned to, written with the assignment; the Worker's
 * minute job sends them through the send_email binding. `next_attempt_at` is when a pending one
 * may be tried (again): claiming pushes it out, so a send that died is tried after that lease.
 */
export const assignmentNotifications = sqliteTable(
  "assignment_notifications",
  {
    id: integer("id").primaryKey(),
    issueId: integer("issue_id").notNull(),
    userId: integer("user_id").notNull(),
    assignedBy: integer("assigned_by"),
    status: text("status", { enum: ["pending", "sent", "skipped", "failed"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    sentAt: integer("sent_at"),
    /** Why the assignee is told: the issue was assigned to them, or it regressed while theirs. */
    kind: text("kind", { enum: ["assigned", "regressed"] })
      .notNull()
      .default("assigned"),
  },
  // The minute job's pick: pending ones that are due.
  (t) => [index("assignment_notifications_due").on(t.status, t.nextAttemptAt)],
);

export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: integer("id").primaryKey(),
    organizationId: integer("organization_id")
      .notNull()
      .references(() => organizations.id),
    userId: integer("user_id").references(() => users.id),
    label: text("label").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("api_tokens_by_organization").on(t.organizationId)],
);

export const rejectedEnvelopes = sqliteTable(
  "rejected_envelopes",
  {
    id: integer("id").primaryKey(),
    messageId: text("message_id").notNull().unique(),
    projectId: integer("project_id").notNull(),
    receivedAt: integer("received_at").notNull(),
    reason: text("reason").notNull(),
    detail: text("detail").notNull(),
    body: blob("body", { mode: "buffer" }),
    bodyKey: text("body_key"),
  },
  (t) => [index("rejected_envelopes_by_project").on(t.projectId, t.receivedAt)],
);

export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: integer("id").primaryKey(),
    queue: text("queue").notNull(),
    messageId: text("message_id").notNull(),
    projectId: integer("project_id"),
    receivedAt: integer("received_at").notNull(),
    attempts: integer("attempts").notNull(),
    body: blob("body", { mode: "buffer" }),
  },
  (t) => [unique().on(t.queue, t.messageId), index("dead_letters_by_project").on(t.projectId, t.receivedAt)],
);

/**
 * Requests ingest refused for their content (400 and 413: a malformed envelope, bad compression,
 * too large, ...) from a key of the project, counted per hour and outcome reason with the latest
 * refusal's status, detail and time; no body is kept (worker/count-refusals.ts). WITHOUT ROWID in
 * the migrations, so an upsert writes one row. The ingest-problems page reads a project's range of
 * hours through the primary key.
 */
export const ingestRefusals = sqliteTable(
  "ingest_refusals",
  {
    projectId: integer("project_id").notNull(),
    hour: integer("hour").notNull(),
    reason: text("reason").notNull(),
    count: integer("count").notNull(),
    status: integer("status").notNull(),
    detail: text("detail").notNull(),
    lastSeen: integer("last_seen").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.hour, t.reason] })],
);

// Digest ----------------------------------------------------------------------------------------

export const issues = sqliteTable(
  "issues",
  {
    id: integer("id").primaryKey(),
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    fingerprint: text("fingerprint").notNull(),
    grouping: text("grouping", { mode: "json" }).notNull(),
    type: text("type").notNull(),
    title: text("title").notNull(),
    culprit: text("culprit").notNull().default(""),
    level: text("level").notNull(),
    platform: text("platform").notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    status: text("status", { enum: ["unresolved", "resolved", "ignored"] })
      .notNull()
      .default("unresolved"),
    substatus: text("substatus").notNull().default("new"),
    resolvedAt: integer("resolved_at"),
    resolvedInRelease: text("resolved_in_release"),
    ignoredUntil: integer("ignored_until"),
    ignoredUntilCount: integer("ignored_until_count"),
    ignoredCountBase: integer("ignored_count_base"),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
    firstRelease: text("first_release"),
    lastRelease: text("last_release"),
    timesSeen: integer("times_seen").notNull().default(0),
    userCount: integer("user_count").notNull().default(0),
    lastEventId: text("last_event_id"),
    resolvedInNextRelease: integer("resolved_in_next_release", { mode: "boolean" }).notNull().default(false),
    /** The digest run that last created, regressed or escalated the issue: how that run's commit records what it changed for its alert evaluation. */
    changedByRun: text("changed_by_run"),
    /** The member the issue is assigned to (Sentry's assignedTo); null when unassigned. */
    assignedUserId: integer("assigned_user_id").references(() => users.id),
  },
  (t) => [
    unique().on(t.projectId, t.fingerprint),
    // Title and culprit too: the stream's free-text search is matched on the index entries.
    index("issues_by_last_seen").on(t.projectId, t.status, desc(t.lastSeen), t.id, t.title, t.culprit),
    index("issues_by_first_seen").on(t.projectId, t.status, desc(t.firstSeen)),
    index("issues_by_times_seen").on(t.projectId, t.status, desc(t.timesSeen)),
    index("issues_by_user_count").on(t.projectId, t.status, desc(t.userCount)),
    // A release's new issues (its newGroups, and the release page's list).
    index("issues_by_first_release").on(t.projectId, t.firstRelease),
    // Search by assignee (assigned:me, is:assigned). Without last_seen or status, so the digest's
    // updates of those never rewrite it: only assigning and new issues do.
    index("issues_by_assignee").on(t.projectId, t.assignedUserId),
  ],
);

export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey(),
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    eventId: text("event_id").notNull(),
    issueId: integer("issue_id")
      .notNull()
      .references(() => issues.id),
    timestamp: integer("timestamp").notNull(),
    receivedAt: integer("received_at").notNull(),
    level: text("level").notNull(),
    title: text("title").notNull(),
    release: text("release"),
    environment: text("environment"),
    userKey: text("user_key"),
    tags: text("tags", { mode: "json" }).$type<Array<[string, string]>>().notNull().default([]),
    data: blob("data", { mode: "buffer" }).notNull(),
    ingestBatch: text("ingest_batch").notNull(),
  },
  (t) => [
    unique().on(t.projectId, t.eventId),
    index("events_by_issue").on(t.issueId, desc(t.timestamp)),
    index("events_by_batch").on(t.ingestBatch, t.issueId),
  ],
);

export const issueHourly = sqliteTable(
  "issue_hourly",
  { issueId: integer("issue_id").notNull(), hour: integer("hour").notNull(), count: integer("count").notNull() },
  (t) => [primaryKey({ columns: [t.issueId, t.hour] })],
);

export const projectHourly = sqliteTable(
  "project_hourly",
  { projectId: integer("project_id").notNull(), hour: integer("hour").notNull(), count: integer("count").notNull() },
  (t) => [primaryKey({ columns: [t.projectId, t.hour] })],
);

export const issueUsers = sqliteTable(
  "issue_users",
  {
    issueId: integer("issue_id").notNull(),
    userKey: text("user_key").notNull(),
    firstSeen: integer("first_seen").notNull(),
    ingestBatch: text("ingest_batch").notNull(),
  },
  (t) => [primaryKey({ columns: [t.issueId, t.userKey] }), index("issue_users_by_batch").on(t.ingestBatch, t.issueId)],
);

export const issueTags = sqliteTable(
  "issue_tags",
  {
    issueId: integer("issue_id").notNull(),
    key: text("key").notNull(),
    value: text("value").notNull(),
    count: integer("count").notNull(),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
    projectId: integer("project_id").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.issueId, t.key, t.value] }), index("issue_tags_by_value").on(t.projectId, t.key, t.value, t.issueId)],
);

/** When events of a project named a release: the digest's per-project record (organization_releases is the release itself). */
export const releases = sqliteTable(
  "releases",
  {
    projectId: integer("project_id").notNull(),
    version: text("version").notNull(),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.version] })],
);

export const environments = sqliteTable(
  "environments",
  { projectId: integer("project_id").notNull(), name: text("name").notNull(), firstSeen: integer("first_seen").notNull() },
  (t) => [primaryKey({ columns: [t.projectId, t.name] })],
);

export const storedItems = sqliteTable(
  "stored_items",
  {
    id: integer("id").primaryKey(),
    projectId: integer("project_id").notNull(),
    messageId: text("message_id").notNull(),
    itemIndex: integer("item_index").notNull(),
    itemType: text("item_type").notNull(),
    eventId: text("event_id"),
    receivedAt: integer("received_at").notNull(),
    payload: blob("payload", { mode: "buffer" }),
    bodyKey: text("body_key"),
    ingestBatch: text("ingest_batch").notNull(),
  },
  (t) => [
    unique().on(t.messageId, t.itemIndex),
    index("stored_items_by_project").on(t.projectId, t.itemType, t.receivedAt),
    index("stored_items_by_event").on(t.projectId, t.eventId),
    index("stored_items_by_batch").on(t.ingestBatch),
  ],
);

export const itemCounts = sqliteTable(
  "item_counts",
  {
    projectId: integer("project_id").notNull(),
    day: integer("day").notNull(),
    itemType: text("item_type").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.day, t.itemType] })],
);

// Performance: transactions, span streams and traces ---------------------------------------------
// These tables are WITHOUT ROWID in the migrations (drizzle cannot say it): each is its primary
// key's B-tree alone, so a row written is one row billed (queue-consumer/digest/items/transaction/).

/**
 * One slim row per transaction (a `transaction` item or a segment span), and per group of spans
 * that arrived without their segment: where its span tree is in R2. Keyed by the day it ended,
 * so retention deletes by range, and a resent or redelivered transaction (same trace and span)
 * is stored once; the trace view seeks (project, day, trace) for the days it looks at.
 */
export const traceItems = sqliteTable(
  "trace_items",
  {
    projectId: integer("project_id").notNull(),
    day: integer("day").notNull(),
    traceId: text("trace_id").notNull(),
    spanId: text("span_id").notNull(),
    kind: text("kind", { enum: ["transaction", "segment", "spans"] }).notNull(),
    eventId: text("event_id"),
    parentSpanId: text("parent_span_id"),
    name: text("name").notNull(),
    op: text("op").notNull(),
    status: text("status").notNull(),
    /** ms since the epoch, with fractions. */
    startedAt: real("started_at").notNull(),
    durationMs: real("duration_ms").notNull(),
    spanCount: integer("span_count").notNull(),
    bodyKey: text("body_key").notNull(),
    bodyOffset: integer("body_offset").notNull(),
    bodyLength: integer("body_length").notNull(),
    ingestBatch: text("ingest_batch").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.day, t.traceId, t.spanId] })],
);

/** The error events of a trace (`contexts.trace.trace_id`), found like its transactions. */
export const traceErrors = sqliteTable(
  "trace_errors",
  {
    projectId: integer("project_id").notNull(),
    day: integer("day").notNull(),
    traceId: text("trace_id").notNull(),
    eventId: text("event_id").notNull(),
    issueId: integer("issue_id").notNull(),
    /** The span the error happened in, when the SDK said. */
    spanId: text("span_id"),
    timestamp: integer("timestamp").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.day, t.traceId, t.eventId] })],
);

/**
 * Transactions per (project, hour, name, op, environment, release): counts, failures, Apdex
 * counts, the sum of durations (ms) and their sketch (protocol/duration-sketch.ts), and the
 * hour's slowest and latest transaction as samples. Environment and release are '' when unset.
 */
export const transactionRollups = sqliteTable(
  "transaction_rollups",
  {
    projectId: integer("project_id").notNull(),
    hour: integer("hour").notNull(),
    name: text("name").notNull(),
    op: text("op").notNull(),
    environment: text("environment").notNull(),
    release: text("release").notNull(),
    count: integer("count").notNull(),
    failures: integer("failures").notNull(),
    satisfied: integer("satisfied").notNull(),
    tolerated: integer("tolerated").notNull(),
    durationSum: real("duration_sum").notNull(),
    sketch: text("sketch").notNull(),
    slowestMs: real("slowest_ms").notNull(),
    slowestTraceId: text("slowest_trace_id").notNull(),
    slowestSpanId: text("slowest_span_id").notNull(),
    latestAt: real("latest_at").notNull(),
    latestTraceId: text("latest_trace_id").notNull(),
    latestSpanId: text("latest_span_id").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.hour, t.name, t.op, t.environment, t.release] }),
    // One transaction's page: its hours, without reading every other name's. Written only when a
    // new (hour, name, ...) row is, never by the updates of one.
    index("transaction_rollups_by_name").on(t.projectId, t.name, t.hour),
  ],
);

/**
 * The totals of transaction_rollups per (project, name, op, environment, release) over every hour
 * from `transaction_recent_since.hour` on, so the Performance table of the last 24 hours reads one
 * row per key instead of one per key and hour. The digest adds what it counts in those hours (as
 * it adds to the hourly rows, in the same batch); a minute job moves the start forward each hour,
 * taking the hours that leave out (queue-consumer/jobs/advance-recent-transactions.ts). No
 * slowest sample: a maximum cannot be taken out again.
 */
export const transactionRecentRollups = sqliteTable(
  "transaction_recent_rollups",
  {
    projectId: integer("project_id").notNull(),
    name: text("name").notNull(),
    op: text("op").notNull(),
    environment: text("environment").notNull(),
    release: text("release").notNull(),
    count: integer("count").notNull(),
    failures: integer("failures").notNull(),
    satisfied: integer("satisfied").notNull(),
    tolerated: integer("tolerated").notNull(),
    durationSum: real("duration_sum").notNull(),
    sketch: text("sketch").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.name, t.op, t.environment, t.release] })],
);

/** The first hour transaction_recent_rollups holds (one row, id 1); none before the job's first run. */
export const transactionRecentSince = sqliteTable("transaction_recent_since", {
  id: integer("id").primaryKey(),
  hour: integer("hour").notNull(),
});

/** Each Web Vital (lcp, fcp, cls, inp, ttfb) per the same key: count, sum and sketch. */
export const transactionVitalRollups = sqliteTable(
  "transaction_vital_rollups",
  {
    projectId: integer("project_id").notNull(),
    hour: integer("hour").notNull(),
    name: text("name").notNull(),
    op: text("op").notNull(),
    environment: text("environment").notNull(),
    release: text("release").notNull(),
    vital: text("vital").notNull(),
    count: integer("count").notNull(),
    valueSum: real("value_sum").notNull(),
    sketch: text("sketch").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.hour, t.name, t.op, t.environment, t.release, t.vital] })],
);

// Release health ------------------------------------------------------------------------------

/**
 * Each session's state (queue-consumer/digest/items/session/): the bucket it counts in (its
 * first update's hour, release and environment, and user), and its worst status so far (0 ok or
 * exited, 1 errored, 2 abnormal, 3 crashed) with the `seq` of the update that set it. Written when
 * a session begins and when its status gets worse, never by an update that changes nothing.
 */
export const sessionStates = sqliteTable(
  "session_states",
  {
    projectId: integer("project_id").notNull(),
    sid: text("sid").notNull(),
    hour: integer("hour").notNull(),
    release: text("release").notNull(),
    environment: text("environment").notNull(),
    user: text("user").notNull(),
    seq: integer("seq").notNull(),
    status: integer("status").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.sid] })],
);

/** Sessions per (project, release, environment, hour); errored, abnormal and crashed exclude each other. */
export const sessionRollups = sqliteTable(
  "session_rollups",
  {
    projectId: integer("project_id").notNull(),
    release: text("release").notNull(),
    environment: text("environment").notNull(),
    hour: integer("hour").notNull(),
    sessions: integer("sessions").notNull(),
    errored: integer("errored").notNull(),
    abnormal: integer("abnormal").notNull(),
    crashed: integer("crashed").notNull(),
    users: integer("users").notNull(),
    crashedUsers: integer("crashed_users").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.release, t.environment, t.hour] })],
);

/** The distinct users (`did`) of each rollup row, and whether one of their sessions there crashed. */
export const sessionUsers = sqliteTable(
  "session_users",
  {
    projectId: integer("project_id").notNull(),
    release: text("release").notNull(),
    environment: text("environment").notNull(),
    hour: integer("hour").notNull(),
    user: text("user").notNull(),
    crashed: integer("crashed").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.release, t.environment, t.hour, t.user] })],
);

/** Each `sessions` item (request-mode aggregates) counted, by the queue message that brought it: a redelivery adds nothing. */
export const sessionAggregateItems = sqliteTable(
  "session_aggregate_items",
  {
    projectId: integer("project_id").notNull(),
    messageId: text("message_id").notNull(),
    itemIndex: integer("item_index").notNull(),
    receivedAt: integer("received_at").notNull(),
    ingestBatch: text("ingest_batch").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.messageId, t.itemIndex] })],
);

// Dashboard -------------------------------------------------------------------------------------

export const loginThrottles = sqliteTable("login_throttles", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull(),
  lastFailureAt: integer("last_failure_at").notNull(),
  blockedUntil: integer("blocked_until").notNull(),
});

export const invites = sqliteTable(
  "invites",
  {
    id: integer("id").primaryKey(),
    organizationId: integer("organization_id")
      .notNull()
      .references(() => organizations.id),
    email: text("email").notNull(),
    role: text("role").notNull().default("member"),
    tokenHash: text("token_hash").notNull().unique(),
    invitedBy: integer("invited_by").references(() => users.id),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    acceptedAt: integer("accepted_at"),
  },
  (t) => [index("invites_by_organization").on(t.organizationId, t.createdAt)],
);

export const instanceSetup = sqliteTable("instance_setup", {
  id: integer("id").primaryKey(),
  userId: integer("user_id")
    .notNull()
    .references(() => users.id),
  completedAt: integer("completed_at").notNull(),
});

// Team workflow ---------------------------------------------------------------------------------

/**
 * What happened to an issue, as Sentry's Activity (https://docs.sentry.io/api/events/): status
 * changes, assignment, merges and comments (type `note`, data `{text}`), each by a member or, with
 * no user, by Faultline itself (a regression the digest saw). `first_seen` is not stored: it is
 * the issue's own first_seen, added when the trail is read, as Sentry does. Retention deletes an
 * issue's rows with the issue.
 */
export const issueActivity = sqliteTable(
  "issue_activity",
  {
    id: integer("id").primaryKey(),
    issueId: integer("issue_id").notNull(),
    projectId: integer("project_id").notNull(),
    /** Sentry's activity type names: set_resolved, assigned, note... */
    type: text("type").notNull(),
    userId: integer("user_id").references(() => users.id),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    createdAt: integer("created_at").notNull(),
  },
  // An issue's trail, newest first; its comments are the rows of type note among them.
  (t) => [index("issue_activity_by_issue").on(t.issueId, desc(t.createdAt))],
);

/**
 * Fingerprints of issues merged into another (Sentry's merge: the parent takes the children's
 * events and their GroupHashes). The digest looks a fingerprint up here before issues, so a new
 * event of a merged child's fingerprint lands in the parent; retention deletes these rows with
 * the parent.
 */
export const issueMerges = sqliteTable(
  "issue_merges",
  {
    projectId: integer("project_id").notNull(),
    fingerprint: text("fingerprint").notNull(),
    /** The issue events of this fingerprint now go to. */
    issueId: integer("issue_id").notNull(),
    mergedAt: integer("merged_at").notNull(),
  },
  // By issue: merging a parent on, and deleting with it.
  (t) => [primaryKey({ columns: [t.projectId, t.fingerprint] }), index("issue_merges_by_issue").on(t.issueId)],
);

/**
 * User feedback: the SDKs' `feedback` items (an event whose `contexts.feedback` the user typed),
 * the legacy `user_report` items, the crash-report dialog's form and the API's POST
 * (https://develop.sentry.dev/sdk/data-model/envelope-items/#user-feedback). One row per feedback
 * id: the feedback event's id, or for a user report the id of the event it is about (Sentry's
 * UserReport is unique on project and event). The issue is found when read, through `events` on
 * (project, event_id), so a report that came before its event is tied once the event lands, and
 * follows it through a merge.
 */
export const userFeedback = sqliteTable(
  "user_feedback",
  {
    id: integer("id").primaryKey(),
    projectId: integer("project_id").notNull(),
    feedbackId: text("feedback_id").notNull(),
    /** The event the feedback is about, when it names one. */
    eventId: text("event_id"),
    name: text("name").notNull().default(""),
    email: text("email").notNull().default(""),
    message: text("message").notNull(),
    url: text("url"),
    environment: text("environment"),
    release: text("release"),
    /** feedback, user_report, crash_report or api: how it came. */
    source: text("source").notNull(),
    dateCreated: integer("date_created").notNull(),
    /** The rest of the feedback event, scrubbed (JSON), when it was one. */
    data: text("data"),
    /** The digest run that stored it (its statements read back what they inserted). */
    ingestBatch: text("ingest_batch").notNull(),
  },
  (t) => [
    unique().on(t.projectId, t.feedbackId),
    // The project's feedback newest first; an issue's through its events.
    index("user_feedback_by_project").on(t.projectId, desc(t.dateCreated), desc(t.id)),
    index("user_feedback_by_event").on(t.projectId, t.eventId),
    // What a digest run stored, for the new_feedback alert trigger (feedback is rare: a row each is cheap).
    index("user_feedback_by_batch").on(t.ingestBatch),
  ],
);

// Alerts ----------------------------------------------------------------------------------------

import type { AlertFilter, AlertTrigger } from "./alert-rule-definition";

export const alertRules = sqliteTable(
  "alert_rules",
  {
    id: integer("id").primaryKey(),
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    name: text("name").notNull(),
    match: text("match", { enum: ["any", "all"] })
      .notNull()
      .default("any"),
    triggers: text("triggers", { mode: "json" }).$type<AlertTrigger[]>().notNull(),
    filters: text("filters", { mode: "json" }).$type<AlertFilter[]>().notNull().default([]),
    frequencyMinutes: integer("frequency_minutes").notNull().default(30),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("alert_rules_by_project").on(t.projectId)],
);

export const alertTargets = sqliteTable(
  "alert_targets",
  {
    id: integer("id").primaryKey(),
    ruleId: integer("rule_id")
      .notNull()
      .references(() => alertRules.id),
    type: text("type", { enum: ["slack", "discord", "teams", "webhook", "email", "push"] }).notNull(),
    url: text("url"),
    address: text("address"),
    secret: text("secret"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("alert_targets_by_rule").on(t.ruleId)],
);

export const alertFirings = sqliteTable(
  "alert_firings",
  {
    id: integer("id").primaryKey(),
    ruleId: integer("rule_id").notNull(),
    issueId: integer("issue_id").notNull(),
    projectId: integer("project_id").notNull(),
    windowKey: text("window_key").notNull(),
    evaluationId: text("evaluation_id").notNull(),
    firedAt: integer("fired_at").notNull(),
    context: text("context", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    unique().on(t.ruleId, t.issueId, t.windowKey),
    unique().on(t.ruleId, t.issueId, t.evaluationId),
    index("alert_firings_by_evaluation").on(t.evaluationId),
    index("alert_firings_by_project").on(t.projectId, t.firedAt),
  ],
);

export const alertThrottle = sqliteTable(
  "alert_throttle",
  {
    ruleId: integer("rule_id").notNull(),
    issueId: integer("issue_id").notNull(),
    lastFiredAt: integer("last_fired_at").notNull(),
    evaluationId: text("evaluation_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.issueId] })],
);

/**
 * Each metric trigger's state (db/alert-rule-definition.ts, METRIC_TRIGGER_TYPES), kept by the
 * minute job (queue-consumer/jobs/evaluate-metric-alerts.ts): whether it is over its threshold,
 * so a crossing opens the rule's metric issue once and a recovery resolves it once. The trigger's
 * key is its JSON: editing a trigger starts it afresh.
 */
export const metricAlertStates = sqliteTable(
  "metric_alert_states",
  {
    ruleId: integer("rule_id").notNull(),
    triggerKey: text("trigger_key").notNull(),
    firing: integer("firing").notNull(),
    /** The window's value at the last run that had data: ms for durations, a fraction for failure rates. */
    lastValue: real("last_value"),
    changedAt: integer("changed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.triggerKey] })],
);

/**
 * The current hour's totals for a metric trigger as the minute job saw them at `minute`: a window
 * shorter than the hourly rollups is the hour now less the hour as it was at the window's start.
 * Kept an hour and a minute.
 */
export const metricAlertSnapshots = sqliteTable(
  "metric_alert_snapshots",
  {
    ruleId: integer("rule_id").notNull(),
    triggerKey: text("trigger_key").notNull(),
    minute: integer("minute").notNull(),
    hour: integer("hour").notNull(),
    count: integer("count").notNull(),
    failures: integer("failures").notNull(),
    /** protocol/duration-sketch.ts, as JSON. */
    sketch: text("sketch").notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.triggerKey, t.minute] }), index("metric_alert_snapshots_by_minute").on(t.minute)],
);

/**
 * The alert evaluation of each digest run whose projects have rules, from the run's commit (same
 * transaction) until its deliveries are queued. A row still here when `next_attempt_at` comes is
 * an evaluation that was lost on the way (the invocation died, D1 and Queues failed together); the
 * digest's next run or the hourly job claims it and runs it again, with the same id and clock,
 * from the run's events and `changes`: what the run did to issues, as it committed it.
 */
export const alertEvaluationsPending = sqliteTable(
  "alert_evaluations_pending",
  {
    run: text("run").primaryKey(),
    evaluationId: text("evaluation_id").notNull(),
    /** The evaluation's clock. */
    createdAt: integer("created_at").notNull(),
    /** JSON: [[issue id, "new" | "regressed" | "escalating"], ...], the issues the run created, regressed or escalated. */
    changes: text("changes").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
  },
  (t) => [
    index("alert_evaluations_pending_by_evaluation").on(t.evaluationId),
    index("alert_evaluations_pending_by_next_attempt").on(t.nextAttemptAt),
  ],
);

export const alertDeliveries = sqliteTable(
  "alert_deliveries",
  {
    id: integer("id").primaryKey(),
    firingId: integer("firing_id")
      .notNull()
      .references(() => alertFirings.id),
    projectId: integer("project_id").notNull(),
    ruleId: integer("rule_id").notNull(),
    issueId: integer("issue_id").notNull(),
    targetId: integer("target_id").notNull(),
    targetType: text("target_type").notNull(),
    status: text("status", { enum: ["pending", "sending", "retrying", "sent", "failed"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    leaseUntil: integer("lease_until"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    sentAt: integer("sent_at"),
  },
  (t) => [
    unique().on(t.firingId, t.targetId),
    index("alert_deliveries_by_project").on(t.projectId, desc(t.createdAt)),
    index("alert_deliveries_by_rule").on(t.ruleId, desc(t.createdAt)),
  ],
);

export const alertDeliveryAttempts = sqliteTable(
  "alert_delivery_attempts",
  {
    id: integer("id").primaryKey(),
    deliveryId: integer("delivery_id")
      .notNull()
      .references(() => alertDeliveries.id),
    attempt: integer("attempt").notNull(),
    startedAt: integer("started_at").notNull(),
    latencyMs: integer("latency_ms").notNull(),
    httpStatus: integer("http_status"),
    outcome: text("outcome", { enum: ["sent", "retry", "failed"] }).notNull(),
    error: text("error"),
    retryDelaySeconds: integer("retry_delay_seconds"),
  },
  (t) => [index("alert_delivery_attempts_by_delivery").on(t.deliveryId, t.attempt)],
);

// Releases --------------------------------------------------------------------------------------

/**
 * A release as Sentry models it (https://docs.sentry.io/api/releases/): one per organization and
 * version, linked to projects. The API creates it (sentry-cli, the bundler plugins); the digest
 * creates it too, the first time an event names a version, so a release seen only in events is
 * listed as well. When its events were seen stays in the per-project `releases` rows, which also
 * link it to the projects whose events named it; `release_projects` holds the links the API made.
 */
export const organizationReleases = sqliteTable(
  "organization_releases",
  {
    id: integer("id").primaryKey(),
    organizationId: integer("organization_id")
      .notNull()
      .references(() => organizations.id),
    version: text("version").notNull(),
    ref: text("ref"),
    url: text("url"),
    status: text("status", { enum: ["open", "archived"] })
      .notNull()
      .default("open"),
    dateCreated: integer("date_created").notNull(),
    dateStarted: integer("date_started"),
    dateReleased: integer("date_released"),
    /** How many commits release_commits holds for it, and their distinct authors ([{name, email}]), written with them. */
    commitCount: integer("commit_count").notNull().default(0),
    authors: text("authors", { mode: "json" }).$type<Array<{ name: string | null; email: string | null }>>().notNull().default([]),
    /** Written with each deploy, so a page of releases reads no deploys but their last one. */
    deployCount: integer("deploy_count").notNull().default(0),
    lastDeployId: integer("last_deploy_id"),
  },
  (t) => [
    unique().on(t.organizationId, t.version),
    // The release list, newest first, and its keyset cursor.
    index("organization_releases_by_date").on(t.organizationId, desc(t.dateCreated), desc(t.id)),
  ],
);

export const releaseProjects = sqliteTable(
  "release_projects",
  {
    releaseId: integer("release_id")
      .notNull()
      .references(() => organizationReleases.id),
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
  },
  (t) => [primaryKey({ columns: [t.releaseId, t.projectId] })],
);

export const releaseDeploys = sqliteTable(
  "release_deploys",
  {
    id: integer("id").primaryKey(),
    releaseId: integer("release_id")
      .notNull()
      .references(() => organizationReleases.id),
    environment: text("environment").notNull(),
    name: text("name"),
    url: text("url"),
    dateStarted: integer("date_started"),
    dateFinished: integer("date_finished").notNull(),
  },
  (t) => [index("release_deploys_by_release").on(t.releaseId, desc(t.dateFinished), desc(t.id))],
);

/**
 * A release's commits, newest first (position 0 is its last commit), as sentry-cli's
 * `set-commits` sends them: whole commits read from a local checkout, or, from `refs`, the head
 * commit of each repository with the previous release's head when given.
 */
export const releaseCommits = sqliteTable(
  "release_commits",
  {
    releaseId: integer("release_id")
      .notNull()
      .references(() => organizationReleases.id),
    position: integer("position").notNull(),
    commitId: text("commit_id").notNull(),
    repository: text("repository"),
    message: text("message"),
    authorName: text("author_name"),
    authorEmail: text("author_email"),
    timestamp: integer("timestamp"),
    previousCommitId: text("previous_commit_id"),
  },
  (t) => [primaryKey({ columns: [t.releaseId, t.position] })],
);

// Cron monitors ---------------------------------------------------------------------------------

/**
 * A cron monitor (https://docs.sentry.io/product/crons/): created by a check-in's
 * `monitor_config` or the API, unique per project and slug. `config` is the API's shape
 * (protocol/monitor-config.ts), thresholds and runtime read from it in SQL.
 */
export const monitors = sqliteTable(
  "monitors",
  {
    id: integer("id").primaryKey(),
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    status: text("status", { enum: ["active", "disabled"] })
      .notNull()
      .default("active"),
    config: text("config").notNull(),
    dateCreated: integer("date_created").notNull(),
  },
  (t) => [unique().on(t.projectId, t.slug)],
);

/** A monitor in one environment: its status, its open incident, and when its next run is due. */
export const monitorEnvironments = sqliteTable(
  "monitor_environments",
  {
    id: integer("id").primaryKey(),
    monitorId: integer("monitor_id")
      .notNull()
      .references(() => monitors.id),
    name: text("name").notNull(),
    /** active (no check-in yet), ok, error, missed_checkin or timeout. */
    status: text("status").notNull().default("active"),
    /** Failures opened an issue that no recovery has resolved yet. */
    incidentOpen: integer("incident_open", { mode: "boolean" }).notNull().default(false),
    lastCheckin: integer("last_checkin"),
    nextCheckin: integer("next_checkin"),
    /** The next run's due time plus the margin: past it, the minute job records the run as missed. */
    nextCheckinLatest: integer("next_checkin_latest"),
  },
  (t) => [
    unique().on(t.monitorId, t.name),
    // The minute job's missed runs, oldest due first; disabled monitors have none.
    index("monitor_environments_by_due")
      .on(t.nextCheckinLatest)
      .where(sql`next_checkin_latest IS NOT NULL`),
  ],
);

/** One run of a monitor (or a missed one), unique per project and check-in id. */
export const monitorCheckins = sqliteTable(
  "monitor_checkins",
  {
    id: integer("id").primaryKey(),
    projectId: integer("project_id").notNull(),
    monitorId: integer("monitor_id")
      .notNull()
      .references(() => monitors.id),
    monitorEnvironmentId: integer("monitor_environment_id")
      .notNull()
      .references(() => monitorEnvironments.id),
    guid: text("guid").notNull(),
    /** in_progress, ok, error, missed or timeout. */
    status: text("status").notNull(),
    /** Milliseconds. */
    duration: integer("duration"),
    dateCreated: integer("date_created").notNull(),
    dateUpdated: integer("date_updated").notNull(),
    /** A missed run's due time. */
    expectedTime: integer("expected_time"),
    /** A run in progress past this is timed out. */
    timeoutAt: integer("timeout_at"),
    release: text("release"),
    traceId: text("trace_id"),
    /** The delivery key of the all-zero-id check-in that ended this run: its redelivery ends no other. */
    completionKey: text("completion_key"),
    /** The event this check-in's failure becomes, when it counts toward an issue. */
    issueEventId: text("issue_event_id"),
    /** failure (counted toward an issue) or recovery (resolved one). */
    incident: text("incident"),
    /** The digest run that last wrote the row: what that run's later statements read. */
    changedByRun: text("changed_by_run").notNull(),
  },
  (t) => [
    unique().on(t.projectId, t.guid),
    // A monitor environment's check-ins, newest first: the API, and the threshold streaks.
    index("monitor_checkins_by_environment").on(t.monitorEnvironmentId, desc(t.dateCreated), desc(t.id)),
    // A run's own check-ins, and per environment newest first: what the check-in statements read
    // after their writes, without walking an environment's whole history.
    index("monitor_checkins_by_run").on(t.changedByRun, t.monitorEnvironmentId, desc(t.dateCreated), desc(t.id)),
    // The minute job's timed-out runs.
    index("monitor_checkins_in_progress")
      .on(t.timeoutAt)
      .where(sql`status = 'in_progress'`),
    uniqueIndex("monitor_checkins_by_completion_key")
      .on(t.projectId, t.completionKey)
      .where(sql`completion_key IS NOT NULL`),
  ],
);

// Uptime monitors -------------------------------------------------------------------------------

/**
 * A URL a project watches (https://docs.sentry.io/product/uptime-monitoring/): the minute job
 * (queue-consumer/jobs/check-uptime-monitors.ts) requests it every `interval_seconds` and counts
 * a check ok when the status is within [expected_status_min, expected_status_max] and the body,
 * when a keyword is set, contains it. `failure_threshold` failures in a row open an issue,
 * `recovery_threshold` successes resolve it (Sentry's downtime and recovery thresholds).
 */
export const uptimeMonitors = sqliteTable(
  "uptime_monitors",
  {
    id: integer("id").primaryKey(),
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    name: text("name").notNull(),
    url: text("url").notNull(),
    method: text("method").notNull().default("GET"),
    expectedStatusMin: integer("expected_status_min").notNull().default(200),
    expectedStatusMax: integer("expected_status_max").notNull().default(299),
    timeoutMs: integer("timeout_ms").notNull(),
    intervalSeconds: integer("interval_seconds").notNull(),
    bodyKeyword: text("body_keyword"),
    environment: text("environment").notNull().default("production"),
    status: text("status", { enum: ["active", "disabled"] })
      .notNull()
      .default("active"),
    failureThreshold: integer("failure_threshold").notNull(),
    recoveryThreshold: integer("recovery_threshold").notNull(),
    /** The scheduled time of the next check (ms). */
    nextDueAt: integer("next_due_at").notNull(),
    /** ok, or failed while an issue is open (Sentry's uptime status). */
    uptimeStatus: text("uptime_status", { enum: ["ok", "failed"] })
      .notNull()
      .default("ok"),
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    consecutiveSuccesses: integer("consecutive_successes").notNull().default(0),
    lastCheckedAt: integer("last_checked_at"),
    dateCreated: integer("date_created").notNull(),
  },
  (t) => [
    // The minute job's due monitors, oldest first; disabled ones are not in it.
    index("uptime_monitors_by_due")
      .on(t.nextDueAt)
      .where(sql`status = 'active'`),
    index("uptime_monitors_by_project").on(t.projectId),
  ],
);

/**
 * One check of an uptime monitor, unique per (monitor, scheduled time): a minute job run twice,
 * or retried, records it once. Also what the check log, the stats and retention read.
 */
export const uptimeChecks = sqliteTable(
  "uptime_checks",
  {
    id: integer("id").primaryKey(),
    monitorId: integer("monitor_id")
      .notNull()
      .references(() => uptimeMonitors.id),
    scheduledAt: integer("scheduled_at").notNull(),
    /** When it was made (ms). */
    dateCreated: integer("date_created").notNull(),
    /** ok or error. */
    status: text("status").notNull(),
    httpStatus: integer("http_status"),
    durationMs: integer("duration_ms").notNull(),
    /** Why it failed; null when ok. */
    reason: text("reason"),
    /** The event this check's failure becomes, when it counts toward an issue. */
    issueEventId: text("issue_event_id"),
    /** failure (counted toward an issue) or recovery (resolved it). */
    incident: text("incident"),
    /** The job run that wrote it: what that run's later statements read. */
    changedByRun: text("changed_by_run").notNull(),
  },
  (t) => [
    unique().on(t.monitorId, t.scheduledAt),
    // The digest's gate on failure events (items/error/insert-events.ts): few rows, only failures.
    index("uptime_checks_failure_events")
      .on(t.issueEventId)
      .where(sql`incident = 'failure'`),
  ],
);

// Source maps ------------------------------------------------------------------------------------

/**
 * An artifact bundle (https://docs.sentry.io/platforms/javascript/sourcemaps/troubleshooting_js/artifact-bundles/):
 * the zip `sentry-cli sourcemaps upload` assembles from chunks, unique in its organization by its
 * sha1. Its files are in R2 (artifact_bundle_files.object_key). `release` and `dist` are what
 * the upload named (`--release`, `--dist`; dist '' for none), for frames matched by URL.
 */
export const artifactBundles = sqliteTable(
  "artifact_bundles",
  {
    id: integer("id").primaryKey(),
    organizationId: integer("organization_id")
      .notNull()
      .references(() => organizations.id),
    checksum: text("checksum").notNull(),
    /** The manifest's `debug_id`: the bundle id sentry-cli prints. */
    bundleId: text("bundle_id"),
    release: text("release"),
    dist: text("dist").notNull().default(""),
    fileCount: integer("file_count").notNull(),
    /** Bytes of the files stored, uncompressed. */
    size: integer("size").notNull(),
    dateAdded: integer("date_added").notNull(),
    /**
     * When the digest last mapped a frame with it, or it was uploaded again (at most once a day);
     * null: not since it was added. Retention takes a bundle off a project once neither happened
     * within the project's retention.
     */
    lastUsedAt: integer("last_used_at"),
  },
  (t) => [
    unique().on(t.organizationId, t.checksum),
    // The digest's lookup by release and dist (frames without a debug id).
    index("artifact_bundles_by_release").on(t.organizationId, t.release, t.dist),
  ],
);

/** The projects a bundle was uploaded for; a project's bundles for the settings page (primary key). */
export const artifactBundleProjects = sqliteTable(
  "artifact_bundle_projects",
  {
    projectId: integer("project_id")
      .notNull()
      .references(() => projects.id),
    artifactBundleId: integer("artifact_bundle_id")
      .notNull()
      .references(() => artifactBundles.id),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.artifactBundleId] }),
    // Whether any project still keeps a bundle (deleting it, and retention).
    index("artifact_bundle_projects_by_bundle").on(t.artifactBundleId),
  ],
);

/**
 * One file of a bundle, as its manifest lists it: `minified_source`, `source_map` or `source`,
 * its URL (`~/dist/app.min.js`), its `debug-id` header (lowercase, dashed) and `sourcemap`
 * header (the map's URL, relative to the file's).
 */
export const artifactBundleFiles = sqliteTable(
  "artifact_bundle_files",
  {
    id: integer("id").primaryKey(),
    artifactBundleId: integer("artifact_bundle_id")
      .notNull()
      .references(() => artifactBundles.id),
    fileType: text("file_type").notNull(),
    url: text("url"),
    debugId: text("debug_id"),
    sourcemap: text("sourcemap"),
    objectKey: text("object_key").notNull(),
    size: integer("size").notNull(),
  },
  (t) => [
    // The digest's lookups: by debug id, and by URL within a release's bundles.
    index("artifact_bundle_files_by_debug_id")
      .on(t.debugId)
      .where(sql`debug_id IS NOT NULL`),
    index("artifact_bundle_files_by_url").on(t.artifactBundleId, t.url),
  ],
);

/**
 * An issue's events to map again through the source maps present now (the issue's "Reprocess",
 * POST /issues/{id}/reprocessing/), which the minute job does: its latest events, bounded; they
 * stay in the issue. One row per issue, its last request; `finished_at` null while pending.
 */
export const issueReprocessing = sqliteTable("issue_reprocessing", {
  // No foreign key, as issue_activity has none: retention and merges delete issues without it.
  issueId: integer("issue_id").primaryKey(),
  requestedAt: integer("requested_at").notNull(),
  finishedAt: integer("finished_at"),
  /** Events read again, and of them those with a frame mapped that was not before. */
  events: integer("events").notNull().default(0),
  improved: integer("improved").notNull().default(0),
});
