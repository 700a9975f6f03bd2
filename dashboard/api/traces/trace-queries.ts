/**
 * A trace's rows: its transactions and span groups (trace_items) and its error events
 * (trace_errors, with the event's title and level through events' unique (project_id, event_id)).
 * Both tables start their primary key with (project_id, day, trace_id), so the read is one index
 * seek per project and day of the window, never a scan.
 */
export interface TraceItemRow {
  projectId: number;
  traceId: string;
  spanId: string;
  kind: "transaction" | "segment" | "spans";
  eventId: string | null;
  parentSpanId: string | null;
  name: string;
  op: string;
  status: string;
  startedAt: number;
  durationMs: number;
  spanCount: number;
  bodyKey: string;
  bodyOffset: number;
  bodyLength: number;
}

export interface TraceErrorRow {
  projectId: number;
  eventId: string;
  issueId: number;
  spanId: string | null;
  timestamp: number;
  title: string | null;
  level: string | null;
}

/** The most rows of a trace read; Sentry's trace view stops at a limit too. */
export const MAX_TRACE_ITEMS = 500;
export const MAX_TRACE_ERRORS = 500;

export async function traceRows(
  d1: D1Database,
  o: { projectIds: readonly number[]; days: readonly number[]; traceId: string },
): Promise<{ items: TraceItemRow[]; errors: TraceErrorRow[] }> {
  if (o.projectIds.length === 0 || o.days.length === 0) return { items: [], errors: [] };
  const projects = JSON.stringify(o.projectIds);
  const days = JSON.stringify(o.days);
  const [items, errors] = await d1.batch([
    d1
      .prepare(
        `SELECT project_id AS projectId, trace_id AS traceId, span_id AS spanId, kind, event_id AS eventId, parent_span_id AS parentSpanId,
           name, op, status, started_at AS startedAt, duration_ms AS durationMs, span_count AS spanCount,
           body_key AS bodyKey, body_offset AS bodyOffset, body_length AS bodyLength
         FROM trace_items
         WHERE project_id IN (SELECT value FROM json_each(?1)) AND day IN (SELECT value FROM json_each(?2)) AND trace_id = ?3
         ORDER BY started_at LIMIT ${MAX_TRACE_ITEMS}`,
      )
      .bind(projects, days, o.traceId),
    d1
      .prepare(
        `SELECT t.project_id AS projectId, t.event_id AS eventId, t.issue_id AS issueId, t.span_id AS spanId, t.timestamp,
           e.title, e.level
         FROM trace_errors t LEFT JOIN events e ON e.project_id = t.project_id AND e.event_id = t.event_id
         WHERE t.project_id IN (SELECT value FROM json_each(?1)) AND t.day IN (SELECT value FROM json_each(?2)) AND t.trace_id = ?3
         ORDER BY t.timestamp LIMIT ${MAX_TRACE_ERRORS}`,
      )
      .bind(projects, days, o.traceId),
  ]);
  return { items: (items!.results ?? []) as TraceItemRow[], errors: (errors!.results ?? []) as TraceErrorRow[] };
}
