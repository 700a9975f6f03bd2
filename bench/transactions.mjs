// `npm run bench:transactions`: throughput of the events queue consumer (digestEvents) on
// transactions (span streams with a segment and 10 spans, and python3-sentry-sdk's Django
// transactions), next to plain multi-row inserts of as many rows of the index rows' size into
// the same local D1 (the ceiling), and the D1 rows written per transaction. Each case runs a
// bench-only Worker (bench/transactions/) in its own Miniflare, on a fresh copy of a migrated,
// seeded local state. See BENCHMARKS.md.
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { ROOT, applyMigrations, queryLocalD1, seed, wrangler } from "../scripts/local-dev.mjs";
import { formatTable, positiveSetting } from "./drive-load.mjs";
import { serverCpu } from "./server-cpu.mjs";

const { Miniflare } = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"))("miniflare");

const { values: flags } = parseArgs({
  options: {
    transactions: { type: "string" },
    names: { type: "string" },
    "batch-size": { type: "string" },
    cases: { type: "string" },
    profile: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
});
if (flags.help) {
  console.log(`options (or BENCH_<OPTION> in the environment):
  --transactions <n>  transactions per case (default 5000)
  --names <n>         transaction names they cycle through (default 50)
  --batch-size <n>    messages per queue batch (default 100, the consumer's max_batch_size)
  --cases <list>      spans,transaction (default both)
  --profile           instead of rates, µs per transaction of each step: prepare, the R2 write, the D1 batch`);
  process.exit(0);
}
const setting = (name, fallback) => positiveSetting(flags, name, fallback);
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
const selected = flags.cases ?? process.env.BENCH_CASES;
const cases = selected ? CASES.filter((c) => selected.split(",").includes(c.key)) : CASES;
if (cases.length === 0) throw new Error(`no case matches ${selected}; cases are ${CASES.map((c) => c.key).join(", ")}`);

const WRANGLER_CONFIG = join(ROOT, "bench", "transactions", "wrangler.toml");
const MESSAGES_PER_REQUEST = 10 * BATCH_SIZE;

const work = mkdtempSync(join(tmpdir(), "faultline-bench-transactions-"));
try {
  const bundle = join(work, "bundle");
  await wrangler(["deploy", "--dry-run", "--outdir", bundle, "--config", WRANGLER_CONFIG]);
  const { workerOptions } = unstable_getMiniflareWorkerOptions(WRANGLER_CONFIG);
  const pristine = join(work, "pristine");
  await applyMigrations(pristine);
  await seed(pristine);
  // As in production after the minute job's first run: the digest also adds to the recent totals.
  await queryLocalD1(pristine, "INSERT INTO transaction_recent_since (id, hour) VALUES (1, 0)");

  console.log(`transactions benchmark: ${TRANSACTIONS} per case over ${NAMES} names, batches of ${BATCH_SIZE}, ${WARMUP} warm-up`);
  const results = [];
  for (const c of cases) {
    const state = join(work, c.key);
    cpSync(pristine, state, { recursive: true });
    const mf = new Miniflare({
      ...workerOptions,
      modules: true,
      scriptPath: join(bundle, "worker.js"),
      modulesRoot: bundle,
      d1Persist: join(state, "v3", "d1"),
      r2Persist: join(state, "v3", "r2"),
    });
    try {
      const figures = await runCase(c, mf);
      if (figures) results.push(figures);
    } finally {
      await mf.dispose();
    }
  }
  if (!flags.profile) report(results);
} finally {
  rmSync(work, { recursive: true, force: true });
}

async function runCase(c, mf) {
  const call = async (path, body) => {
    const res = await mf.dispatchFetch(`http://bench${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  const digest = async (count, offset) => {
    const sum = { messages: 0, acked: 0, retried: 0, buildMs: 0, digestMs: 0, rowsWritten: 0 };
    for (let done = 0; done < count; done += MESSAGES_PER_REQUEST) {
      const r = await call("/digest", {
        kind: c.kind,
        template: c.template,
        spans: c.spans,
        names: NAMES,
        count: Math.min(MESSAGES_PER_REQUEST, count - done),
        offset: offset + done,
        batchSize: BATCH_SIZE,
        projectId: PROJECT_ID,
      });
      for (const key of Object.keys(sum)) sum[key] += r[key];
    }
    return sum;
  };
  const group = Number(readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ")[2]);
  const cpu = () => (Number.isInteger(group) ? serverCpu(group, -1) : null);

  const warm = await digest(WARMUP, 0);
  if (flags.profile) {
    const steps = await call("/profile", {
      kind: c.kind,
      template: c.template,
      spans: c.spans,
      names: NAMES,
      count: TRANSACTIONS,
      offset: WARMUP,
      batchSize: BATCH_SIZE,
      projectId: PROJECT_ID,
    });
    console.log(
      `${c.name}, µs per transaction: ${Object.entries(steps)
        .map(([k, v]) => `${k} ${Math.round(v)}`)
        .join(", ")}`,
    );
    return null;
  }
  const sizing = await call("/stats");
  const rowBytes = Math.round(sizing.avgRowBytes);
  const ceilingRuns = [];
  const ceiling = async () => {
    const before = cpu();
    const r = await call("/ceiling", { count: TRANSACTIONS, batchSize: BATCH_SIZE, rowBytes });
    ceilingRuns.push({ ...r, cpu: workerCpu(before, cpu()) });
  };
  await ceiling();
  const before = cpu();
  const run = await digest(TRANSACTIONS, WARMUP);
  const digestCpu = workerCpu(before, cpu());
  await ceiling();

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

  const ceilingMs = ceilingRuns.reduce((s, r) => s + r.ms, 0);
  const ceilingRows = ceilingRuns.reduce((s, r) => s + r.rows, 0);
  const figures = {
    case: c,
    valid: problems.length === 0,
    transactions: run.messages,
    rate: run.messages / (run.digestMs / 1000),
    ceilingRate: ceilingRows / (ceilingMs / 1000),
    rowsPerTransaction: run.rowsWritten / run.messages,
    cpuPerTransaction: (digestCpu * 1e6) / run.messages,
    rowBytes,
    rollupRows: after.rollupRows,
  };
  console.log(
    `${c.name}: ${run.messages} in ${(run.digestMs / 1000).toFixed(2)} s = ${Math.round(figures.rate)}/s; ` +
      `ceiling ${ceilingRuns.map((r) => `${Math.round(r.rows / (r.ms / 1000))}/s`).join(", ")} (rows of ${rowBytes} B); ` +
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
  if (results.some((f) => !f.valid)) {
    console.log("RESULT INVALID: the digest did not store and count every transaction exactly once (see above)");
    process.exitCode = 1;
    return;
  }
  const missed = results.filter((f) => f.rate / f.ceilingRate < TARGET_RATIO);
  console.log(missed.length === 0 ? "targets hold" : `target MISSED: ${missed.map((f) => f.case.name).join(", ")}`);
}

function workerCpu(before, after) {
  if (!before || !after || before.pids !== after.pids) return Number.NaN;
  return after.worker - before.worker;
}
