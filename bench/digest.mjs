// `npm run bench:digest`: throughput of the events queue consumer (digestEvents) writing to a
// local D1, next to plain multi-row inserts of the same number of rows of the same size into
// the same D1 (the ceiling). Each case runs on a fresh copy of a migrated, seeded local state,
// in a bench-only Worker (bench/digest/) under `wrangler dev`. See BENCHMARKS.md.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, applyMigrations, freePort, seed, startProcess, wrangler } from "../scripts/local-dev.mjs";
import { formatTable } from "./drive-load.mjs";
import { serverCpu } from "./server-cpu.mjs";

const { values: flags } = parseArgs({
  options: {
    events: { type: "string" },
    issues: { type: "string" },
    "batch-size": { type: "string" },
    cases: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (flags.help) {
  console.log(`options (or BENCH_<OPTION> in the environment):
  --events <n>      events per case for the repeated-error and large-event cases (default 5000)
  --issues <n>      distinct issues in the distinct-issues case (default 10000)
  --batch-size <n>  messages per queue batch (default 100, the consumer's max_batch_size)
  --cases <list>    which cases, e.g. repeated,large (default: repeated,distinct,large)`);
  process.exit(0);
}
const setting = (name, fallback) => {
  const raw = flags[name] ?? process.env[`BENCH_${name.toUpperCase().replaceAll("-", "_")}`];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
};
const EVENTS = setting("events", 5_000);
const ISSUES = setting("issues", 10_000);
const BATCH_SIZE = setting("batch-size", 100);
// Unmeasured messages first, so module loading and JIT warm-up stay out of the figures.
const WARMUP = 2 * BATCH_SIZE;
const PROJECT_ID = 1;

const fixture = (name) => readFileSync(join(ROOT, "test", "fixtures", "sdk-requests", name), "utf8");

/** A captured envelope with its event id (envelope header and event item) made a placeholder. */
function template(name) {
  const envelope = fixture(name);
  const id = /^\{"event_id":"([0-9a-f]{32})"/.exec(envelope)?.[1];
  if (!id) throw new Error(`${name} has no event_id in its header`);
  return envelope.replaceAll(id, "{{EVENT_ID}}");
}

/** One in-app function renamed per message: every event gets its own fingerprint. */
function withDistinctInAppFunction(text, fn) {
  const needle = `"function":"${fn}"`;
  if (!text.includes(needle)) throw new Error(`template has no in-app frame ${needle}`);
  return text.replaceAll(needle, `"function":"${fn}{{N}}"`);
}

const CASES = [
  {
    key: "repeated",
    name: "(a) one repeated error",
    // @sentry/node: an uncaught SyntaxError wrapped in an Error (two exceptions, 7 KB).
    template: template("node-2.envelope"),
    count: EVENTS,
    issues: () => 1,
    target: 2_000,
  },
  {
    key: "distinct",
    name: "(b) distinct issues",
    template: withDistinctInAppFunction(template("node-2.envelope"), "parseConfig"),
    count: ISSUES,
    issues: (n) => n,
    target: 1_000,
  },
  {
    key: "large",
    name: "(c) 48 KB events",
    // @sentry/node: a message with a stack trace and 40 KB of `extra` (the SDK gzips it in transit).
    template: template("node-6.envelope"),
    count: EVENTS,
    issues: () => 1,
    target: 300,
  },
];
const selected = flags.cases ?? process.env.BENCH_CASES;
const cases = selected ? CASES.filter((c) => selected.split(",").includes(c.key)) : CASES;
if (cases.length === 0) throw new Error(`no case matches ${selected}; cases are ${CASES.map((c) => c.key).join(", ")}`);

const WRANGLER_CONFIG = join(ROOT, "bench", "digest", "wrangler.toml");

const work = mkdtempSync(join(tmpdir(), "faultline-bench-digest-"));
const results = [];
let valid = true;
try {
  // Bundled once and served unbundled: `wrangler dev` would otherwise reload the Worker
  // mid-run whenever a source file in the checkout changes, and every case runs the same code.
  const bundle = join(work, "bundle");
  await wrangler(["deploy", "--dry-run", "--outdir", bundle, "--config", WRANGLER_CONFIG]);
  const devConfig = join(work, "wrangler.toml");
  writeFileSync(devConfig, readFileSync(WRANGLER_CONFIG, "utf8").replace(/^main\s*=.*$/m, `main = ${JSON.stringify(join(bundle, "worker.js"))}`));

  // Migrated and seeded once; every case starts from its own copy.
  const pristine = join(work, "pristine");
  await applyMigrations(pristine);
  await seed(pristine);

  console.log(`digest benchmark: batches of ${BATCH_SIZE} messages, ${WARMUP} warm-up messages per case`);
  for (const c of cases) {
    const state = join(work, c.key);
    cpSync(pristine, state, { recursive: true });
    const port = await freePort();
    const worker = await startProcess(
      ["dev", "--config", devConfig, "--no-bundle", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state, "--inspector-port", "0", "--log-level", "warn"],
      { readyUrl: `http://127.0.0.1:${port}/health`, label: "wrangler dev (bench digest worker)" },
    );
    try {
      const call = async (path, body) => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
        if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}\n${worker.output()}`);
        return res.json();
      };
      const cpu = () => serverCpu(worker.child.pid, port);
      const digest = (count, offset) => call("/digest", { template: c.template, count, offset, batchSize: BATCH_SIZE, projectId: PROJECT_ID });

      const warm = await digest(WARMUP, c.count);
      const sizing = await call("/stats");
      const rowBytes = Math.round(sizing.avgRowBytes);

      // The ceiling runs before and after the digest, so drift on the shared machine hits both.
      const ceilingRuns = [];
      const ceiling = async () => {
        const before = cpu();
        const r = await call("/ceiling", { count: c.count, batchSize: BATCH_SIZE, rowBytes });
        ceilingRuns.push({ ...r, cpu: workerCpu(before, cpu()) });
      };
      await ceiling();
      const before = cpu();
      const run = await digest(c.count, 0);
      const digestCpu = workerCpu(before, cpu());
      await ceiling();

      const after = await call("/stats");
      const expectedEvents = warm.messages + run.messages;
      const expectedIssues = c.issues(c.count) + (c.issues(c.count) === 1 ? 0 : c.issues(WARMUP));
      const problems = [];
      if (run.acked !== c.count || run.retried > 0 || warm.retried > 0) problems.push(`${run.acked} of ${c.count} messages acked, ${run.retried + warm.retried} retried`);
      if (after.events !== expectedEvents) problems.push(`${after.events} events stored, expected ${expectedEvents}`);
      if (after.timesSeen !== expectedEvents) problems.push(`times_seen adds up to ${after.timesSeen}, expected ${expectedEvents}`);
      if (after.issues !== expectedIssues) problems.push(`${after.issues} issues, expected ${expectedIssues}`);
      if (after.rejected > 0) problems.push(`${after.rejected} rejected envelopes`);
      if (problems.length > 0) {
        valid = false;
        console.log(`${c.name}: ${problems.join("; ")}`);
      }

      const ceilingMs = ceilingRuns.reduce((s, r) => s + r.ms, 0);
      const ceilingRows = ceilingRuns.reduce((s, r) => s + r.rows, 0);
      const ceilingCpu = ceilingRuns.reduce((s, r) => s + (r.cpu ?? Number.NaN), 0);
      const figures = {
        case: c,
        events: run.messages,
        rate: run.messages / (run.digestMs / 1000),
        ceilingRate: ceilingRows / (ceilingMs / 1000),
        cpuPerEvent: (digestCpu * 1e6) / run.messages,
        ceilingCpuPerRow: (ceilingCpu * 1e6) / ceilingRows,
        eventBytes: Buffer.byteLength(c.template) - 2 * "{{EVENT_ID}}".length + 64,
        rowBytes,
        dataBytes: Math.round(sizing.avgDataBytes),
        buildMs: run.buildMs,
      };
      results.push(figures);
      console.log(
        `${c.name}: ${run.messages} events in ${(run.digestMs / 1000).toFixed(2)} s = ${Math.round(figures.rate)}/s; ` +
          `ceiling ${ceilingRuns.map((r) => `${Math.round(r.rows / (r.ms / 1000))}/s`).join(", ")} (rows of ${rowBytes} B)`,
      );
    } finally {
      await worker.stop();
    }
  }

  const rows = results.map((f) => [
    f.case.name,
    f.events,
    `${(f.eventBytes / 1024).toFixed(1)} KB`,
    `${(f.rowBytes / 1024).toFixed(1)} KB`,
    Math.round(f.rate),
    Math.round(f.ceilingRate),
    `${(f.rate / f.ceilingRate).toFixed(2)}x`,
    Number.isNaN(f.cpuPerEvent) ? "-" : Math.round(f.cpuPerEvent),
    Number.isNaN(f.ceilingCpuPerRow) ? "-" : Math.round(f.ceilingCpuPerRow),
    `${f.rate >= f.case.target ? "≥" : "<"} ${f.case.target}`,
  ]);
  const header = ["case", "events", "envelope", "row", "events/s", "ceiling rows/s", "ratio", "µs CPU/event", "µs CPU/row", "target"];
  console.log(`\n${formatTable(header, rows)}`);
  console.log("(ceiling: the same number of plain rows of the events' stored size, multi-row INSERTs, one D1 batch per queue batch; µs CPU: workerd running the Worker and its local D1)\n");
  if (!valid) {
    console.log("RESULT INVALID: the digest did not store every event exactly once (see above)");
    process.exitCode = 1;
  } else {
    const missed = results.filter((f) => f.rate < f.case.target);
    console.log(missed.length === 0 ? "targets hold" : `targets MISSED: ${missed.map((f) => f.case.name).join(", ")}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** CPU seconds of the workerd running the Worker (and its D1) between two snapshots. */
function workerCpu(before, after) {
  if (!before || !after || before.pids !== after.pids) return Number.NaN;
  return after.worker - before.worker;
}
