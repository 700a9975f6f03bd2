// Issues, events and API tokens written straight into D1 in the digest's storage format: the
// read API's tests use it until (and alongside) the digest writing them from real envelopes.
import { env } from "cloudflare:test";
import { encodeEventData } from "../../protocol/event-data";
import { fingerprintEvent } from "../../queue-consumer/digest/items/error/fingerprint-event";
import { type NormalizedEvent, normalizeEvent } from "../../queue-consumer/digest/items/error/normalize-event";
import { envelopeEvent, pythonEvent } from "../fixtures/grouping/sdk-events";
import { seedProject } from "./seed";
import { HOUR } from "../../protocol/time";

export interface SeededOrganization {
  orgId: number;
  orgSlug: string;
  projectId: number;
  projectSlug: string;
  projectName: string;
  publicKey: string;
  /** A valid API token of the organization. */
  token: string;
}

/** A fresh organization with one project, one DSN key and one API token. */
export async function seedOrganization(): Promise<SeededOrganization> {
  const key = await seedProject();
  const row = await env.DB.prepare(
    "SELECT p.slug AS projectSlug, p.name AS projectName, o.id AS orgId, o.slug AS orgSlug FROM projects p JOIN organizations o ON o.id = p.organization_id WHERE p.id = ?",
  )
    .bind(key.projectId)
    .first<{ projectSlug: string; projectName: string; orgId: number; orgSlug: string }>();
  if (row === null) throw new Error("seeded project not found");
  const token = await seedToken(row.orgId);
  return { ...row, projectId: key.projectId, publicKey: key.publicKey, token };
}

let tokenCounter = 0;

/** An API token of an organization, stored as the SHA-256 hex of its value; optionally already revoked. */
export async function seedToken(orgId: number, options: { revoked?: boolean } = {}): Promise<string> {
  tokenCounter += 1;
  const token = `flt_test_${tokenCounter}_${crypto.randomUUID().replaceAll("-", "")}`;
  const now = Date.now();
  await env.DB.prepare("INSERT INTO api_tokens (organization_id, label, token_hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?)")
    .bind(orgId, `test ${tokenCounter}`, await sha256Hex(token), now, options.revoked ? now : null)
    .run();
  return token;
}

/** Another project in an organization. */
export async function seedProjectIn(orgId: number, slug: string, platform: string | null = null): Promise<number> {
  const row = await env.DB.prepare(
    "INSERT INTO projects (organization_id, slug, name, platform, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
  )
    .bind(orgId, slug, `Project ${slug}`, platform, Date.now())
    .first<{ id: number }>();
  return row!.id;
}

export interface FixtureOverrides {
  /** Event time, ms. */
  timestamp?: number;
  eventId?: string;
  release?: string | null;
  environment?: string | null;
  user?: Record<string, unknown> | null;
  message?: string;
}

/**
 * A captured @sentry/node or @sentry/browser event (test/fixtures/sdk-requests/<name>.envelope)
 * through normalizeEvent, as the digest sees it; overrides change the raw event before normalizing.
 */
export function fixtureEvent(name: string, overrides: FixtureOverrides = {}): NormalizedEvent {
  return normalizedFixture(envelopeEvent(name), overrides);
}

/** A captured sentry-python event (test/fixtures/python/<name>.json) through normalizeEvent. */
export function pythonFixtureEvent(name: string, overrides: FixtureOverrides = {}): NormalizedEvent {
  return normalizedFixture(pythonEvent(name), overrides);
}

function normalizedFixture(raw: Record<string, unknown>, overrides: FixtureOverrides): NormalizedEvent {
  const timestamp = overrides.timestamp ?? Date.now() - 60_000;
  raw.timestamp = timestamp / 1000;
  if (overrides.eventId !== undefined) raw.event_id = overrides.eventId;
  if (overrides.release !== undefined) raw.release = overrides.release;
  if (overrides.environment !== undefined) raw.environment = overrides.environment;
  if (overrides.user !== undefined) raw.user = overrides.user;
  if (overrides.message !== undefined) raw.message = overrides.message;
  return normalizeEvent(raw, { eventId: null, receivedAt: timestamp + 500, clientIp: "192.0.2.10" });
}

export function randomEventId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

/**
 * Stores events the way the digest does: the issue of their fingerprint (created on first
 * sight), the event row (`data` gzip'd JSON of the normalized event, `tags` [[k, v], ...]), and
 * every counter: times seen, first/last seen and release, hourly buckets, tag values, users,
 * releases, environments. Returns each event's issue id.
 */
export async function recordEvents(projectId: number, events: NormalizedEvent[]): Promise<number[]> {
  const issueIds: number[] = [];
  for (const event of events) {
    const grouping = await fingerprintEvent(event.data);
    await env.DB.prepare(
      `INSERT INTO issues (project_id, fingerprint, grouping, type, title, culprit, level, platform, metadata, first_seen, last_seen, first_release, last_release)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, fingerprint) DO NOTHING`,
    )
      .bind(
        projectId,
        grouping.hash,
        JSON.stringify({ variant: grouping.variant, components: grouping.components }),
        event.type,
        event.title,
        event.culprit,
        event.level,
        event.platform,
        JSON.stringify(event.data.metadata ?? {}),
        event.timestamp,
        event.timestamp,
        event.release,
        event.release,
      )
      .run();
    const issue = await env.DB.prepare("SELECT id FROM issues WHERE project_id = ? AND fingerprint = ?")
      .bind(projectId, grouping.hash)
      .first<{ id: number }>();
    const issueId = issue!.id;
    issueIds.push(issueId);
    const t = event.timestamp;
    const statements = [
      env.DB.prepare(
        `INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at, level, title, release, environment, user_key, tags, data, ingest_batch)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'test')`,
      ).bind(
        projectId,
        event.eventId,
        issueId,
        t,
        event.receivedAt,
        event.level,
        event.title,
        event.release,
        event.environment,
        event.userKey,
        JSON.stringify(event.tags),
        await encodeEventData(event.data),
      ),
      env.DB.prepare(
        `UPDATE issues SET times_seen = times_seen + 1, first_seen = min(first_seen, ?1), last_seen = max(last_seen, ?1),
           last_event_id = CASE WHEN ?1 >= last_seen THEN ?2 ELSE last_event_id END,
           last_release = CASE WHEN ?1 >= last_seen THEN coalesce(?3, last_release) ELSE last_release END,
           first_release = coalesce(first_release, ?3)
         WHERE id = ?4`,
      ).bind(t, event.eventId, event.release, issueId),
      env.DB.prepare(
        "INSERT INTO issue_hourly (issue_id, hour, count) VALUES (?, ?, 1) ON CONFLICT (issue_id, hour) DO UPDATE SET count = count + 1",
      ).bind(issueId, t - (t % HOUR)),
      ...event.tags.map(([key, value]) =>
        env.DB.prepare(
          `INSERT INTO issue_tags (issue_id, key, value, count, first_seen, last_seen, project_id) VALUES (?, ?, ?, 1, ?4, ?4, ?5)
           ON CONFLICT (issue_id, key, value) DO UPDATE SET count = count + 1, first_seen = min(first_seen, ?4), last_seen = max(last_seen, ?4)`,
        ).bind(issueId, key, value, t, projectId),
      ),
    ];
    if (event.release !== null) {
      statements.push(
        env.DB.prepare(
          `INSERT INTO releases (project_id, version, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3)
           ON CONFLICT (project_id, version) DO UPDATE SET first_seen = min(first_seen, ?3), last_seen = max(last_seen, ?3)`,
        ).bind(projectId, event.release, t),
        organizationReleaseOf(projectId, event.release),
      );
    }
    if (event.environment !== null) {
      statements.push(
        env.DB.prepare(
          "INSERT INTO environments (project_id, name, first_seen) VALUES (?1, ?2, ?3) ON CONFLICT (project_id, name) DO UPDATE SET first_seen = min(first_seen, ?3)",
        ).bind(projectId, event.environment, t),
      );
    }
    if (event.userKey !== null) {
      statements.push(
        env.DB.prepare(
          "INSERT INTO issue_users (issue_id, user_key, first_seen, ingest_batch) VALUES (?, ?, ?, 'test') ON CONFLICT DO NOTHING",
        ).bind(issueId, event.userKey, t),
        env.DB.prepare("UPDATE issues SET user_count = (SELECT count(*) FROM issue_users WHERE issue_id = ?1) WHERE id = ?1").bind(issueId),
      );
    }
    await env.DB.batch(statements);
  }
  return issueIds;
}

export interface IssueOverrides {
  title?: string;
  culprit?: string;
  level?: string;
  status?: "unresolved" | "resolved" | "ignored";
  substatus?: string;
  firstSeen?: number;
  lastSeen?: number;
  timesSeen?: number;
  userCount?: number;
  firstRelease?: string | null;
  lastRelease?: string | null;
  platform?: string;
}

let issueCounter = 0;

/** An issue row with chosen columns and no events: for sorting, filtering and paging through many issues. */
export async function seedIssue(projectId: number, overrides: IssueOverrides = {}): Promise<number> {
  issueCounter += 1;
  const now = Date.now();
  const row = await env.DB.prepare(
    `INSERT INTO issues (project_id, fingerprint, grouping, type, title, culprit, level, platform, metadata, status, substatus,
       first_seen, last_seen, first_release, last_release, times_seen, user_count)
     VALUES (?, ?, '{}', 'error', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  )
    .bind(
      projectId,
      `seeded-${issueCounter}-${crypto.randomUUID()}`,
      overrides.title ?? `Error: seeded issue ${issueCounter}`,
      overrides.culprit ?? "app/seed in run",
      overrides.level ?? "error",
      overrides.platform ?? "node",
      JSON.stringify({ type: "Error", value: `seeded issue ${issueCounter}` }),
      overrides.status ?? "unresolved",
      overrides.substatus ?? "new",
      overrides.firstSeen ?? now - 3_600_000,
      overrides.lastSeen ?? now - 60_000,
      overrides.firstRelease ?? null,
      overrides.lastRelease ?? null,
      overrides.timesSeen ?? 1,
      overrides.userCount ?? 0,
    )
    .first<{ id: number }>();
  return row!.id;
}

/** A tag value on an issue, as the digest counts them. */
export async function seedIssueTag(issueId: number, key: string, value: string, count = 1, seenAt = Date.now()): Promise<void> {
  await env.DB.prepare(
    "INSERT INTO issue_tags (issue_id, key, value, count, first_seen, last_seen, project_id) VALUES (?, ?, ?, ?, ?, ?, (SELECT project_id FROM issues WHERE id = ?1))",
  )
    .bind(issueId, key, value, count, seenAt, seenAt)
    .run();
}

/** Events counted in an hour bucket of an issue (`at` is floored to the hour). */
export async function seedHourly(issueId: number, at: number, count: number): Promise<void> {
  await env.DB.prepare(
    "INSERT INTO issue_hourly (issue_id, hour, count) VALUES (?, ?, ?) ON CONFLICT (issue_id, hour) DO UPDATE SET count = count + excluded.count",
  )
    .bind(issueId, at - (at % HOUR), count)
    .run();
}

/** A release as the digest records it: when the project's events named it, and the organization's release. */
export async function seedRelease(projectId: number, version: string, firstSeen: number, lastSeen = firstSeen): Promise<void> {
  await env.DB.batch([
    env.DB.prepare("INSERT INTO releases (project_id, version, first_seen, last_seen) VALUES (?, ?, ?, ?)").bind(
      projectId,
      version,
      firstSeen,
      lastSeen,
    ),
    organizationReleaseOf(projectId, version),
  ]);
}

/** The organization's release the digest creates the first time an event names a version. */
function organizationReleaseOf(projectId: number, version: string): D1PreparedStatement {
  return env.DB.prepare(
    `INSERT INTO organization_releases (organization_id, version, date_created)
     SELECT organization_id, ?2, ?3 FROM projects WHERE id = ?1 ON CONFLICT (organization_id, version) DO NOTHING`,
  ).bind(projectId, version, Date.now());
}

async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
