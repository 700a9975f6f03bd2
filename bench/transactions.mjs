// `npm run bench:transactions`: throughput of the events queue consumer (digestEvents) on
// transactions (span streams with a segment and 10 spans, and python3-sentry-sdk's Django
// transactions), next to plain multi-row inserts of as many rows of the index rows' size into
// the same local D1 (the ceiling), and the D1 rows written per transaction. Each case runs a
// bench-only Worker (bench/transactions/) in its own Miniflare, on a fresh copy of a migrated,
// seeded local state (bench/bench-worker.mjs). See BENCHMARKS.md.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, queryLocalD1 } from "../scripts/local-dev.mjs";
import { inRequests, runCases, workerCpu, workerCpuBetween } from "./bench-worker.mjs";
import { ceilingRuns } from "./ceiling.mjs";
import { benchFlags, formatTable, printVerdict, selectedCases } from "./drive-load.mjs";

const { flags, setting } = benchFlags(
  {
    transactions: { type: "string" },
    names: { type: "string" },
    "batch-size": { type: "string" },
    cases: { type: "string" },
    profile: { type: "boolean" },
  },
  `  --transactions <n>  transactions per case (default 5000)
  --names <n>         transaction names they cycle through (default 50)
  --batch-size <n>    messages per queue batch (default 100, the consumer's max_batch_size)
  --cases <list>      spans,transaction (default both)
  --profile           instead of rates, µs per transaction of each step: prepare, the R2 write, the D1 batch`,
);
const TRANSACTIONS = setting("transactions", 5_000);
const NAMES = setting("names", 50);
const BATCH_SIZE = setting("batch-size", 100);
const WARMUP = 2 * BATCH_SIZE;
const PROJECT_ID = 1;
const TARGET_RATIO = 0.8;

const CASES = [
  {
    key: "spans",
    name: "(a) span stream, segment + 10 spans",
    kind: "spans",
    // @sentry/node 11: a span v2 item with a segment span and its child.
    template: readFileSync(join(ROOT, "test", "fixtures", "sdk-requests", "node-7.envelope"), "utf8"),
    spans: 10,
  },
  {
    key: "transaction",
    name: "(b) transaction items, 8 spans",
    kind: "transaction",
    // python3-sentry-sdk 1.9 with Django: GET /sentry-debug/.
    template: readFileSync(join(ROOT, "test", "fixtures", "python", "django", "django-2.envelope"), "utf8"),
    spans: 8,
  },
];
const cases = selectedCases(CASES, flags.cases);
const MESSAGES_PER_REQUEST = 10 * BATCH_SIZE;

const results = await runCases("transactions", cases, runCase, async ({ pristine }) => {
  // As in production after the minute job's first run: the digest also adds to the recent totals.
  await queryLocalD1(pristine, "INSERT INTO transaction_recent_since (id, hour) VALUES (1, 0)");
  console.log(`transactions benchmark: ${TRANSACTIONS} per case over ${NAMES} names, batches of ${BATCH_SIZE}, ${WARMUP} warm-up`);
});
if (!flags.profile) report(results);

async function runCase(c, call) {
  const request = (count, offset) => ({
    kind: c.kind,
    template: c.template,
    spans: c.spans,
    names: NAMES,
    count,
    offset,
    batchSize: BATCH_SIZE,
    projectId: PROJECT_ID,
  });
  const digest = (count, offset) =>
    inRequests(count, MESSAGES_PER_REQUEST, ["messages", "acked", "retried", "buildMs", "digestMs", "rowsWritten"], (done, n) =>
      call("/digest", request(n, offset + done)),
    );

  const warm = await digest(WARMUP, 0);
  if (flags.profile) {
    const steps = await call("/profile", request(TRANSACTIONS, WARMUP));
    console.log(
      `${c.name}, µs per transaction: ${Object.entries(steps)
        .map(([k, v]) => `${k} ${Math.round(v)}`)
        .join(", ")}`,
    );
    return null;
  }
  const sizing = await call("/stats");
  const rowBytes = Math.round(sizing.avgRowBytes);
  const ceiling = ceilingRuns(call, { count: TRANSACTIONS, batchSize: BATCH_SIZE, rowBytes });
  await ceiling.run();
  const before = workerCpu();
  const run = await digest(TRANSACTIONS, WARMUP);
  const digestCpu = workerCpuBetween(before, workerCpu());
  await ceiling.run();

  const after = await call("/stats");
  const expected = warm.messages + run.messages;
  const problems = [];
  if (run.acked !== TRANSACTIONS || run.retried + warm.retried > 0)
    problems.push(`${run.acked} of ${TRANSACTIONS} acked, ${run.retried + warm.retried} retried`);
  if (after.items !== expected) problems.push(`${after.items} index rows, expected ${expected}`);
  if (after.counted !== expected) problems.push(`rollups count ${after.counted}, expected ${expected}`);
  if (after.recentCounted !== expected) problems.push(`recent totals count ${after.recentCounted}, expected ${expected}`);
  if (after.rejected > 0) problems.push(`${after.rejected} rejected envelopes`);
  if (problems.length > 0) console.log(`${c.name}: ${problems.join("; ")}`);

  const figures = {
    case: c,
    valid: problems.length === 0,
    transactions: run.messages,
    rate: run.messages / (run.digestMs / 1000),
    ceilingRate: ceiling.rate(),
    rowsPerTransaction: run.rowsWritten / run.messages,
    cpuPerTransaction: (digestCpu * 1e6) / run.messages,
    rowBytes,
    rollupRows: after.rollupRows,
  };
  console.log(
    `${c.name}: ${run.messages} in ${(run.digestMs / 1000).toFixed(2)} s = ${Math.round(figures.rate)}/s; ` +
      `ceiling ${ceiling.rates()} (rows of ${rowBytes} B); ` +
      `${figures.rowsPerTransaction.toFixed(2)} D1 rows written each`,
  );
  return figures;
}

function report(results) {
  const rows = results.map((f) => [
    f.case.name,
    f.transactions,
    Math.round(f.rate),
    Math.round(f.ceilingRate),
    `${(f.rate / f.ceilingRate).toFixed(2)}x`,
    f.rowsPerTransaction.toFixed(2),
    Number.isNaN(f.cpuPerTransaction) ? "-" : Math.round(f.cpuPerTransaction),
    `${f.rate / f.ceilingRate >= TARGET_RATIO ? "≥" : "<"} ${TARGET_RATIO}x`,
  ]);
  console.log(`\n${formatTable(["case", "transactions", "per s", "ceiling rows/s", "ratio", "D1 rows/tx", "µs CPU/tx", "target"], rows)}`);
  console.log(
    "(ceiling: as many plain rows of the index rows' size, multi-row INSERTs, one D1 batch per queue batch; " +
      "D1 rows: meta.rows_written of the batches, over all of a case's transactions; µs CPU: workerd with its local D1)\n",
  );
  const missed = results.filter((f) => f.rate / f.ceilingRate < TARGET_RATIO);
  printVerdict(
    results.every((f) => f.valid),
    "the digest did not store and count every transaction exactly once (see above)",
    missed.length === 0 ? "targets hold" : `target MISSED: ${missed.map((f) => f.case.name).join(", ")}`,
  );
}
