/**
 * The transaction and span kinds' share of a digest run's write. Every transaction, segment span
 * and group of spans gets its slim index row in `trace_items` (where its tree is in R2), unique
 * on (project, day, trace id, span id): a transaction or segment sent again, or delivered again,
 * names the same trace and span, so it is stored once. The rollups then move by the rows this run
 * inserted only, found by that same key (the rows go to D1 once more as one JSON parameter and
 * are joined to `trace_items` on its primary key where `ingest_batch` is this run's), so no index
 * beyond the primary key is written per transaction.
 *
 * Rollups per (project, hour, transaction name, op, environment, release): count, failures,
 * Apdex's satisfied and tolerating counts against the project's threshold, the sum of durations,
 * and a duration sketch (protocol/duration-sketch.ts) merged key by key in SQL; the slowest and
 * the latest transaction of the hour, as samples. Web Vitals the same, one row per vital. The
 * same totals per key without the hour, over the recent hours (transaction_recent_rollups).
 */
import { sketchKey } from "../../../../protocol/duration-sketch";
import type { BatchWrite } from "../../batch-write";
import { type PreparedTrace, dayOf, hourOf } from "./prepared-trace";
import { isFailure } from "./span-status";

/** Rows of one JSON parameter: D1 takes a string parameter of up to 2 MB; rows are under 1 KB. */
const ROWS_PER_STATEMENT = 500;

const INSERT_ITEMS = `INSERT INTO trace_items (project_id, day, trace_id, span_id, kind, event_id, parent_span_id, name, op, status,
    started_at, duration_ms, span_count, body_key, body_offset, body_length, ingest_batch)
  SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6, j.value ->> 7,
    j.value ->> 8, j.value ->> 9, j.value ->> 10, j.value ->> 11, j.value ->> 12, j.value ->> 13, j.value ->> 14, j.value ->> 15, ?1
  FROM json_each(?5) j WHERE true
  ON CONFLICT (project_id, day, trace_id, span_id) DO NOTHING`;

/** This run's rows: those of the parameter that `trace_items` holds with this run's id. */
const INSERTED = `inserted AS (
    SELECT j.value AS v FROM json_each(?5) j CROSS JOIN trace_items t
    WHERE t.project_id = j.value ->> 0 AND t.day = j.value ->> 1 AND t.trace_id = j.value ->> 2 AND t.span_id = j.value ->> 3
      AND t.ingest_batch = ?1)`;

// Adds two stored sketches key by key.
const MERGE_SKETCH = (table: string) =>
  `(SELECT json_group_object(k, n) FROM (SELECT k, sum(n) AS n FROM (
      SELECT key AS k, value AS n FROM json_each(${table}.sketch) UNION ALL SELECT key, value FROM json_each(excluded.sketch)) GROUP BY k))`;

const KEY = "project_id, hour, name, op, environment, release";

const ROLLUP_TRANSACTIONS = `WITH ${INSERTED},
  r AS (SELECT v ->> 0 AS project_id, v ->> 4 AS hour, v ->> 5 AS name, v ->> 6 AS op, v ->> 7 AS environment, v ->> 8 AS release,
      v ->> 9 AS duration, v ->> 10 AS bucket, v ->> 11 AS failed, v ->> 12 AS ended_at, v ->> 2 AS trace_id, v ->> 3 AS span_id
    FROM inserted WHERE v ->> 13 = 1),
  sketches AS (SELECT ${KEY}, json_group_object(bucket, n) AS sketch FROM (
      SELECT ${KEY}, bucket, count(*) AS n FROM r GROUP BY 1, 2, 3, 4, 5, 6, 7) GROUP BY 1, 2, 3, 4, 5, 6),
  -- SQLite takes a bare column from the row that holds the max() of its group.
  slowest AS (SELECT ${KEY}, max(duration) AS slowest_ms, trace_id AS slowest_trace_id, span_id AS slowest_span_id FROM r GROUP BY 1, 2, 3, 4, 5, 6),
  latest AS (SELECT ${KEY}, max(ended_at) AS latest_at, trace_id AS latest_trace_id, span_id AS latest_span_id FROM r GROUP BY 1, 2, 3, 4, 5, 6),
  totals AS (SELECT r.project_id, r.hour, r.name, r.op, r.environment, r.release, count(*) AS n, sum(failed) AS failures,
      sum(duration <= p.apdex_threshold_ms) AS satisfied,
      sum(duration > p.apdex_threshold_ms AND duration <= 4 * p.apdex_threshold_ms) AS tolerated,
      sum(duration) AS duration_sum
    FROM r CROSS JOIN projects p WHERE p.id = r.project_id GROUP BY 1, 2, 3, 4, 5, 6)
  INSERT INTO transaction_rollups (${KEY}, count, failures, satisfied, tolerated, duration_sum, sketch,
    slowest_ms, slowest_trace_id, slowest_span_id, latest_at, latest_trace_id, latest_span_id)
  SELECT ${KEY}, n, failures, satisfied, tolerated, duration_sum, sketch,
    slowest_ms, slowest_trace_id, slowest_span_id, latest_at, latest_trace_id, latest_span_id
  FROM totals JOIN sketches USING (${KEY}) JOIN slowest USING (${KEY}) JOIN latest USING (${KEY}) WHERE true
  ON CONFLICT (${KEY}) DO UPDATE SET
    count = count + excluded.count,
    failures = failures + excluded.failures,
    satisfied = satisfied + excluded.satisfied,
    tolerated = tolerated + excluded.tolerated,
    duration_sum = duration_sum + excluded.duration_sum,
    sketch = ${MERGE_SKETCH("transaction_rollups")},
    slowest_ms = max(slowest_ms, excluded.slowest_ms),
    slowest_trace_id = CASE WHEN excluded.slowest_ms > slowest_ms THEN excluded.slowest_trace_id ELSE slowest_trace_id END,
    slowest_span_id = CASE WHEN excluded.slowest_ms > slowest_ms THEN excluded.slowest_span_id ELSE slowest_span_id END,
    latest_at = max(latest_at, excluded.latest_at),
    latest_trace_id = CASE WHEN excluded.latest_at > latest_at THEN excluded.latest_trace_id ELSE latest_trace_id END,
    latest_span_id = CASE WHEN excluded.latest_at > latest_at THEN excluded.latest_span_id ELSE latest_span_id END`;

// The same totals for transaction_recent_rollups (one row per key over every hour from
// transaction_recent_since on), of this run's rows in those hours only: without a start (before
// the minute job's first run) nothing. One row more per key and batch.
const RECENT_KEY = "project_id, name, op, environment, release";

const ROLLUP_RECENT = `WITH ${INSERTED},
  r AS (SELECT v ->> 0 AS project_id, v ->> 5 AS name, v ->> 6 AS op, v ->> 7 AS environment, v ->> 8 AS release,
      v ->> 9 AS duration, v ->> 10 AS bucket, v ->> 11 AS failed
    FROM inserted WHERE v ->> 13 = 1 AND v ->> 4 >= (SELECT hour FROM transaction_recent_since WHERE id = 1)),
  sketches AS (SELECT ${RECENT_KEY}, json_group_object(bucket, n) AS sketch FROM (
      SELECT ${RECENT_KEY}, bucket, count(*) AS n FROM r GROUP BY 1, 2, 3, 4, 5, 6) GROUP BY 1, 2, 3, 4, 5),
  totals AS (SELECT r.project_id, r.name, r.op, r.environment, r.release, count(*) AS n, sum(failed) AS failures,
      sum(duration <= p.apdex_threshold_ms) AS satisfied,
      sum(duration > p.apdex_threshold_ms AND duration <= 4 * p.apdex_threshold_ms) AS tolerated,
      sum(duration) AS duration_sum
    FROM r CROSS JOIN projects p WHERE p.id = r.project_id GROUP BY 1, 2, 3, 4, 5)
  INSERT INTO transaction_recent_rollups (${RECENT_KEY}, count, failures, satisfied, tolerated, duration_sum, sketch)
  SELECT ${RECENT_KEY}, n, failures, satisfied, tolerated, duration_sum, sketch
  FROM totals JOIN sketches USING (${RECENT_KEY}) WHERE true
  ON CONFLICT (${RECENT_KEY}) DO UPDATE SET
    count = count + excluded.count,
    failures = failures + excluded.failures,
    satisfied = satisfied + excluded.satisfied,
    tolerated = tolerated + excluded.tolerated,
    duration_sum = duration_sum + excluded.duration_sum,
    sketch = ${MERGE_SKETCH("transaction_recent_rollups")}`;

const ROLLUP_VITALS = `WITH ${INSERTED},
  r AS (SELECT v ->> 0 AS project_id, v ->> 4 AS hour, v ->> 5 AS name, v ->> 6 AS op, v ->> 7 AS environment, v ->> 8 AS release,
      m.value ->> 0 AS vital, m.value ->> 1 AS value, m.value ->> 2 AS bucket
    FROM inserted CROSS JOIN json_each(v -> 14) m)
  INSERT INTO transaction_vital_rollups (${KEY}, vital, count, value_sum, sketch)
  SELECT ${KEY}, vital, sum(n), sum(total), json_group_object(bucket, n) FROM (
    SELECT ${KEY}, vital, bucket, count(*) AS n, sum(value) AS total FROM r GROUP BY 1, 2, 3, 4, 5, 6, 7, 8)
  GROUP BY 1, 2, 3, 4, 5, 6, 7
  ON CONFLICT (${KEY}, vital) DO UPDATE SET
    count = count + excluded.count,
    value_sum = value_sum + excluded.value_sum,
    sketch = ${MERGE_SKETCH("transaction_vital_rollups")}`;

// Accepted items per day, as stats_v2 reports them (Sentry's data categories): a transaction or
// segment is one "transaction"; a span stream's spans are "span"s, its segment among them.
const COUNT_ITEMS = `WITH ${INSERTED}
  INSERT INTO item_counts (project_id, day, item_type, count)
  SELECT project_id, ?4 - ?4 % ?3, item_type, sum(n) FROM (
    SELECT v ->> 0 AS project_id, 'transaction' AS item_type, v ->> 13 AS n FROM inserted
    UNION ALL SELECT v ->> 0, 'span', v ->> 15 FROM inserted) WHERE n > 0
  GROUP BY 1, 2, 3
  ON CONFLICT (project_id, day, item_type) DO UPDATE SET count = count + excluded.count`;

export function addTransactionStatements(batch: BatchWrite, traces: readonly PreparedTrace[]): void {
  if (traces.length === 0) return;
  for (let i = 0; i < traces.length; i += ROWS_PER_STATEMENT) {
    const chunk = traces.slice(i, i + ROWS_PER_STATEMENT);
    batch.addSql(INSERT_ITEMS, undefined, JSON.stringify(chunk.map(itemRow)));
    const rollupRows = JSON.stringify(chunk.map(rollupRow));
    batch.addSql(ROLLUP_TRANSACTIONS, undefined, rollupRows);
    batch.addSql(ROLLUP_RECENT, undefined, rollupRows);
    batch.addSql(COUNT_ITEMS, undefined, rollupRows);
    if (chunk.some((t) => t.vitals.length > 0)) {
      batch.addSql(ROLLUP_VITALS, undefined, rollupRows);
    }
  }
}

function itemRow(t: PreparedTrace): unknown[] {
  if (t.stored === undefined) throw new Error("span tree not stored before the batch write");
  return [
    t.projectId,
    dayOf(t.endedAt),
    t.traceId,
    t.spanId,
    t.kind,
    t.eventId,
    t.parentSpanId,
    t.name,
    t.op,
    t.status,
    t.startedAt,
    t.durationMs,
    t.spanCount,
    t.stored.key,
    t.stored.offset,
    t.stored.length,
  ];
}

function rollupRow(t: PreparedTrace): unknown[] {
  return [
    t.projectId,
    dayOf(t.endedAt),
    t.traceId,
    t.spanId,
    hourOf(t.endedAt),
    t.name,
    t.op,
    t.environment,
    t.release,
    t.durationMs,
    sketchKey(t.durationMs),
    isFailure(t.status) ? 1 : 0,
    t.endedAt,
    t.kind === "spans" ? 0 : 1,
    t.vitals.map(([vital, value]) => [vital, value, sketchKey(value)]),
    t.kind === "transaction" ? 0 : t.spanCount + (t.kind === "segment" ? 1 : 0),
  ];
}
