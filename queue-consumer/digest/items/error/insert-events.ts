/**
 * The events' INSERT: many events per statement through one JSON parameter. D1's limit of 100
 * bound parameters allowed 6 events per statement at one parameter per column, and blobs cross
 * the D1 binding as arrays of numbers, so the gzip'd data travels as hex (unhex() in SQLite). The
 * events' INSERTs were 60% of persisting a batch before (see BENCHMARKS.md).
 */
import type { PreparedEvent } from "./prepare-error";

/**
 * ?1 the run, ?2 a JSON array with one array per event (project, event id, fingerprint,
 * timestamp, received, level, title, release, environment, user key, tags, gzip'd data as hex,
 * gated), ?3 the data of a lone event too large to travel as hex (its hex slot is null). The issue
 * id is looked up by (project, fingerprint): first among fingerprints merged into another issue
 * (issue_merges, while that issue exists), then among issues; a merged fingerprint's own issue
 * row, which the run's insert of new issues makes again, is left without events and deleted as
 * an orphan (error-statements.ts). A bad hex string fails the NOT NULL on data, loudly.
 * A gated event (a monitor's failure) is written only when this run's check-in statements, run
 * before these, marked its check-in as counting toward an issue (items/check-in/), or the uptime
 * job's its check (queue-consumer/jobs/uptime-check-statements.ts).
 */
export const INSERT_EVENTS = `INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at, level, title, release, environment, user_key, tags, data, ingest_batch)
  SELECT r.value ->> 0, r.value ->> 1,
    coalesce(
      (SELECT m.issue_id FROM issue_merges m JOIN issues i ON i.id = m.issue_id WHERE m.project_id = r.value ->> 0 AND m.fingerprint = r.value ->> 2),
      (SELECT id FROM issues WHERE project_id = r.value ->> 0 AND fingerprint = r.value ->> 2)),
    r.value ->> 3, r.value ->> 4, r.value ->> 5, r.value ->> 6, r.value ->> 7, r.value ->> 8, r.value ->> 9,
    r.value ->> 10, coalesce(unhex(r.value ->> 11), ?3), ?1
  FROM json_each(?2) AS r
  WHERE r.value ->> 12 IS NULL
    OR EXISTS (SELECT 1 FROM monitor_checkins c WHERE c.changed_by_run = ?1 AND c.issue_event_id = r.value ->> 1 AND c.incident = 'failure')
    OR EXISTS (SELECT 1 FROM uptime_checks u WHERE u.issue_event_id = r.value ->> 1 AND u.incident = 'failure' AND u.changed_by_run = ?1)
  ORDER BY r.key
  ON CONFLICT (project_id, event_id) DO NOTHING`;

// D1 takes strings and blobs up to 2 MB (https://developers.cloudflare.com/d1/platform/limits/):
// a statement's JSON stays under half of that, and data over 256 KB (512 KB of hex) goes as a blob.
export const JSON_PARAM_BUDGET = 1_000_000;
export const HEX_DATA_MAX = 256 * 1024;
const EVENTS_PER_STATEMENT = 100;

interface EventRow {
  /** This event's element of the ?2 array. */
  json: string;
  /** Its UTF-8 size. */
  bytes: number;
  /** The data, when too large for hex: the row then goes alone and binds it as ?3. */
  blob: Uint8Array | null;
}

function eventRow(e: PreparedEvent): EventRow {
  const blob = e.data.byteLength > HEX_DATA_MAX ? e.data : null;
  const hex = blob === null ? Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString("hex") : null;
  const { event } = e;
  const json = JSON.stringify([
    e.projectId,
    event.eventId,
    e.grouping.hash,
    event.timestamp,
    event.receivedAt,
    event.level,
    event.title,
    event.release,
    event.environment,
    event.userKey,
    event.tags,
    hex,
    ...(e.gated ? [1] : []),
  ]);
  return { json, bytes: Buffer.byteLength(json), blob };
}

/**
 * Rows split into statements: at most 100, their JSON within the budget (measured, not guessed: a
 * user id, say, is bounded only by the event's 1 MB), and a row with a blob, or over the budget
 * by itself, alone.
 */
function eventStatementGroups(rows: EventRow[]): EventRow[][] {
  const groups: EventRow[][] = [];
  let group: EventRow[] = [];
  let bytes = 0;
  const close = () => {
    if (group.length > 0) groups.push(group);
    group = [];
    bytes = 0;
  };
  for (const row of rows) {
    const alone = row.blob !== null || row.bytes > JSON_PARAM_BUDGET;
    if (alone || group.length >= EVENTS_PER_STATEMENT || bytes + row.bytes > JSON_PARAM_BUDGET) close();
    group.push(row);
    bytes += row.bytes + 1;
    if (alone) close();
  }
  close();
  return groups;
}

/** The ?2 and ?3 of each events INSERT (see INSERT_EVENTS). */
export function eventInsertParams(events: PreparedEvent[]): Array<{ rows: string; blob: Uint8Array | null }> {
  return eventStatementGroups(events.map(eventRow)).map((group) => ({
    rows: `[${group.map((r) => r.json).join(",")}]`,
    blob: group.length === 1 ? group[0]!.blob : null,
  }));
}
