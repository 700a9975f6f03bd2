/**
 * How an error joins its trace: the error events this run inserted that carry a trace id
 * (`contexts.trace.trace_id`, which SDKs set on every event, traced or not) get a row in
 * `trace_errors`, keyed like `trace_items` (project, day, trace id), so the trace view finds a
 * trace's errors with the same index seeks as its transactions. Rows only for events this run
 * inserted (found through events' unique (project_id, event_id)), so a redelivered error adds none.
 */
import { asRecord } from "../../untrusted-json";
import type { BatchWrite } from "../../batch-write";
import type { PreparedEvent } from "../error/prepare-error";
import { spanIdOf, traceIdOf } from "./prepared-trace";

const INSERT_TRACE_ERRORS = `INSERT INTO trace_errors (project_id, day, trace_id, event_id, issue_id, span_id, timestamp)
  SELECT e.project_id, e.timestamp - e.timestamp % ?3, j.value ->> 2, e.event_id, e.issue_id, j.value ->> 3, e.timestamp
  FROM json_each(?5) j CROSS JOIN events e
  WHERE e.project_id = j.value ->> 0 AND e.event_id = j.value ->> 1 AND e.ingest_batch = ?1
  ON CONFLICT (project_id, day, trace_id, event_id) DO NOTHING`;

export function addTraceErrorStatements(batch: BatchWrite, events: readonly PreparedEvent[]): void {
  const rows: unknown[][] = [];
  for (const e of events) {
    const trace = asRecord(asRecord(e.event.data.contexts)?.trace);
    const traceId = traceIdOf(trace?.trace_id);
    if (traceId !== undefined) rows.push([e.projectId, e.event.eventId, traceId, spanIdOf(trace?.span_id) ?? null]);
  }
  if (rows.length > 0) batch.addSql(INSERT_TRACE_ERRORS, undefined, JSON.stringify(rows));
}
