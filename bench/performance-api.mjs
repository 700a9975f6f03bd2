// `npm run bench:performance-api`: the performance API on a million transactions. Seeds the
// hourly rollups a million transactions over 2,000 names leave (transaction_rollups: one row per
// name, release and hour, 10 transactions each, with their duration sketch) into a fresh local D1,
// serves the dashboard under `wrangler pages dev`, and times the calls the Performance page and a
// transaction's page make (p50, p95), next to a route that touches no data (the 401 of a request
// without credentials). The API reads rollups only, never a row per transaction, so this is what
// it reads at that volume. The recent totals (one row per key over the last day) are seeded too.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyMigrations, buildDashboard, freePort, queryLocalD1, seed, startDashboard, wrangler } from "../scripts/local-dev.mjs";
import { benchFlags } from "./drive-load.mjs";
import { timeCallsSequentially } from "./sequential-calls.mjs";

const { setting } = benchFlags(
  { names: { type: "string" }, requests: { type: "string" } },
  `  --names <n>     transaction names (default 2000; 25 hours x 2 releases x 10 transactions each: 1,000,000 at 2,000)
  --requests <n>  timed requests per call (default 100, after 10 untimed)`,
);
const NAMES = setting("names", 2_000);
const REQUESTS = setting("requests", 100);
const WARMUP = 10;
const HOURS = 25;
const RELEASES = 2;
const PER_ROW = 10;
const HOUR = 3_600_000;

const persistTo = mkdtempSync(join(tmpdir(), "faultline-bench-performance-"));
let dashboard;
try {
  const rows = NAMES * HOURS * RELEASES;
  console.log(`Seeding ${rows} rollup rows: ${rows * PER_ROW} transactions over ${NAMES} names and ${HOURS} hours…`);
  await Promise.all([applyMigrations(persistTo), buildDashboard()]);
  const secrets = await seed(persistTo);
  const now = Date.now();
  const firstHour = Math.floor(now / HOUR) * HOUR - (HOURS - 1) * HOUR;
  const started = performance.now();
  const file = join(persistTo, "seed-rollups.sql");
  writeFileSync(file, seedSql({ rows, firstHour }));
  await wrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--file", file]);
  const [counts] = await queryLocalD1(
    persistTo,
    "SELECT count(*) AS rows, sum(count) AS transactions, (SELECT count(*) FROM transaction_recent_rollups) AS recent FROM transaction_rollups",
  );
  console.log(
    `Seeded ${counts.rows} rows (${counts.recent} recent), ${counts.transactions} transactions in ${((performance.now() - started) / 1000).toFixed(0)} s.`,
  );

  const port = await freePort();
  dashboard = await startDashboard({ port, persistTo });
  const base = `http://127.0.0.1:${port}/api/0/organizations/faultline`;
  const auth = { authorization: `Bearer ${secrets.apiToken}` };
  const query = (fields, extra) => {
    const params = new URLSearchParams({ dataset: "transactions", project: "1", statsPeriod: "24h", ...extra });
    for (const f of fields) params.append("field", f);
    return params;
  };
  const TABLE = ["transaction", "transaction.op", "project", "project.id", "count()", "tpm()", "p50()", "p95()", "p99()"];
  const TABLE_ALL = [...TABLE, "failure_rate()", "apdex()", "p75(measurements.lcp)"];
  const SUMMARY = ["count()", "tpm()", "p50()", "p75()", "p95()", "p99()", "avg(transaction.duration)", "failure_rate()", "apdex()"];
  // A deterministic spread of names, so runs compare.
  let state = 42;
  const randomName = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return `transaction:"GET /route/${state % NAMES}"`;
  };
  const stats = () => {
    const params = new URLSearchParams({ dataset: "transactions", project: "1", statsPeriod: "24h", interval: "1h", query: randomName() });
    for (const y of ["p50()", "p95()", "p99()", "tpm()"]) params.append("yAxis", y);
    return `${base}/events-stats/?${params}`;
  };

  const calls = [
    ["no data: 401 without credentials", () => `${base}/events/`, {}, 401],
    ["Performance: every name, by throughput", () => `${base}/events/?${query(TABLE_ALL, { sort: "-tpm()", per_page: "50" })}`, auth, 200],
    ["Performance: every name, by p95", () => `${base}/events/?${query(TABLE, { sort: "-p95()", per_page: "50" })}`, auth, 200],
    ["Performance: a search", () => `${base}/events/?${query(TABLE, { query: "transaction:*route/17*", per_page: "50" })}`, auth, 200],
    ["transaction: summary", () => `${base}/events/?${query(SUMMARY, { query: randomName() })}`, auth, 200],
    ["transaction: percentiles over time", stats, auth, 200],
    [
      "transaction: slowest samples",
      () =>
        `${base}/events/?${query(["id", "trace", "transaction.duration", "timestamp", "project"], { query: randomName(), sort: "-transaction.duration", per_page: "5" })}`,
      auth,
      200,
    ],
  ];

  await timeCallsSequentially(calls, { warmup: WARMUP, requests: REQUESTS, context: () => dashboard.output() });
} finally {
  await dashboard?.stop();
  rmSync(persistTo, { recursive: true, force: true });
}

/**
 * The rollups, made by SQLite itself (a recursive count) rather than sent as rows: row i is name
 * i mod NAMES, release (i / NAMES) mod 2, hour i / (2 NAMES). Each holds 10 transactions in 5 sketch
 * buckets between about 50 ms and 2 s (bucket k answers about 1.0202^k ms), one failure in 10 rows.
 */
function seedSql({ rows, firstHour }) {
  const names = NAMES;
  return `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows - 1})
INSERT INTO transaction_rollups (project_id, hour, name, op, environment, release, count, failures, satisfied, tolerated,
  duration_sum, sketch, slowest_ms, slowest_trace_id, slowest_span_id, latest_at, latest_trace_id, latest_span_id)
SELECT 1, ${firstHour} + (i / ${names * RELEASES}) * ${HOUR}, 'GET /route/' || (i % ${names}), 'http.server', 'production',
  'shop@' || ((i / ${names}) % ${RELEASES}), ${PER_ROW}, (i % 10 = 0), 6, 3,
  ${PER_ROW} * (100 + i % 400),
  json_object(CAST(200 + i % 50 AS TEXT), 2, CAST(260 + i % 30 AS TEXT), 2, CAST(300 + i % 20 AS TEXT), 2, CAST(330 + i % 10 AS TEXT), 2, CAST(370 + i % 7 AS TEXT), 2),
  2000, printf('%032x', i), printf('%016x', i), ${firstHour} + (i / ${names * RELEASES}) * ${HOUR} + 1800000.5,
  printf('%032x', i + 1), printf('%016x', i + 1)
FROM n;
${recentSql(firstHour)}`;
}

/**
 * The recent totals the digest and the minute job keep beside those rows
 * (queue-consumer/jobs/advance-recent-transactions.ts): each key's hours from the 24-hour
 * window's first hour on, which here is every seeded hour.
 */
function recentSql(firstHour) {
  const key = "project_id, name, op, environment, release";
  return `WITH totals AS (SELECT ${key}, sum(count) AS n, sum(failures) AS failures, sum(satisfied) AS satisfied, sum(tolerated) AS tolerated,
    sum(duration_sum) AS duration_sum FROM transaction_rollups WHERE hour >= ${firstHour} GROUP BY 1, 2, 3, 4, 5),
  sketches AS (SELECT ${key}, json_group_object(bucket, n) AS sketch FROM (
    SELECT h.project_id, h.name, h.op, h.environment, h.release, j.key AS bucket, sum(j.value) AS n
    FROM transaction_rollups h CROSS JOIN json_each(h.sketch) j WHERE h.hour >= ${firstHour} GROUP BY 1, 2, 3, 4, 5, 6) GROUP BY 1, 2, 3, 4, 5)
INSERT INTO transaction_recent_rollups (${key}, count, failures, satisfied, tolerated, duration_sum, sketch)
SELECT ${key}, n, failures, satisfied, tolerated, duration_sum, sketch FROM totals JOIN sketches USING (${key});
INSERT INTO transaction_recent_since (id, hour) VALUES (1, ${firstHour});
`;
}
