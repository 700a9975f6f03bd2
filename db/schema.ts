// Drizzle mirror of schema.sql (the readable source of truth); test/schema.test.ts checks they agree.
import { blob, index, integer, primaryKey, sqliteTable, text, unique } from "drizzle-orm/sqlite-core";

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
    organizationId: integer("organization_id").notNull().references(() => organizations.id),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    platform: text("platform"),
    scrubEnabled: integer("scrub_enabled", { mode: "boolean" }).notNull().default(true),
    scrubFields: text("scrub_fields", { mode: "json" }).$type<string[]>().notNull().default([]),
    retentionDays: integer("retention_days").notNull().default(90),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [unique().on(t.organizationId, t.slug)],
);

export const projectKeys = sqliteTable(
  "project_keys",
  {
    id: integer("id").primaryKey(),
    projectId: integer("project_id").notNull().references(() => projects.id),
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
});

export const memberships = sqliteTable(
  "memberships",
  {
    organizationId: integer("organization_id").notNull().references(() => organizations.id),
    userId: integer("user_id").notNull().references(() => users.id),
    role: text("role").notNull().default("member"),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.userId] }), index("memberships_by_user").on(t.userId)],
);

export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: integer("user_id").notNull().references(() => users.id),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("sessions_by_user").on(t.userId)],
);

export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: integer("id").primaryKey(),
    organizationId: integer("organization_id").notNull().references(() => organizations.id),
    userId: integer("user_id").references(() => users.id),
    label: text("label").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("api_tokens_by_organization").on(t.organizationId)],
);

export const receivedEnvelopes = sqliteTable(
  "received_envelopes",
  {
    id: integer("id").primaryKey(),
    messageId: text("message_id").notNull().unique(),
    projectId: integer("project_id").notNull().references(() => projects.id),
    eventId: text("event_id"),
    kind: text("kind").notNull(),
    receivedAt: integer("received_at").notNull(),
    size: integer("size").notNull(),
    itemTypes: text("item_types").notNull(),
    body: blob("body", { mode: "buffer" }),
    bodyKey: text("body_key"),
  },
  (t) => [index("received_envelopes_by_project").on(t.projectId, t.receivedAt)],
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
