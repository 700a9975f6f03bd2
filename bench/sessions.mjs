// `npm run bench:sessions`: throughput of the events queue consumer (digestEvents) on session
// updates shaped like @sentry/node's (each session begun by one update and ended by another, a
// batch later), next to plain multi-row inserts of as many rows of the session states' size
// into the same local D1 (the ceiling), and the D1 rows written per session. The same updates
// are then delivered again, which must change no count. A bench-only Worker (bench/sessions/)
// in its own Miniflare, on a fresh copy of a migrated, seeded local state. See BENCHMARKS.md.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { ROOT, applyMigrations, seed, wrangler } from "../scripts/local-dev.mjs";
import { formatTable, positiveSetting } from "./drive-load.mjs";

const { Miniflare } = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"))("miniflare");

const { values: flags } = parseArgs({
  options: {
    sessions: { type: "string" },
    releases: { type: "string" },
    users: { type: "string" },
    "batch-size": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (flags.help) {
  console.log(`options (or BENCH_<OPTION> in the environment):
  --sessions <n>      sessions (two updates each; default 5000)
  --releases <n>      releases they cycle through (default 5)
  --users <n>         distinct users (did) they cycle through (default 1000)
  --batch-size <n>    messages per queue batch (default 100, the consumer's max_batch_size)`);
  process.exit(0);
}
const setting = (name, fallback) => positiveSetting(flags, name, fallback);
const SESSIONS = setting("sessions", 5_000);
const RELEASES = setting("releases", 5);
const USERS = setting("users", 1_000);
const BATCH_SIZE = setting("batch-size", 100);
// An update ends the session begun this many sessions (a batch of updates) earlier.
const LAG = Math.ceil(BATCH_SIZE / 2);
const WARMUP = 2 * BATCH_SIZE;
const UPDATES = 2 * SESSIONS;
const PROJECT_ID = 1;
const TARGET_RATIO = 0.8;
const MESSAGES_PER_REQUEST = 10 * BATCH_SIZE;

const TEMPLATE = readFileSync(join(ROOT, "test", "fixtures", "sdk-requests", "node-1.envelope"), "utf8");
const WRANGLER_CONFIG = join(ROOT, "bench", "sessions", "wrangler.toml");

/** As bench/sessions/worker.ts's updateOf: which session update n touches, and how it ends. */
function updateOf(n) {
  if (n % 2 === 0) return { session: n / 2, crashed: false, errored: false };
  const session = (n - 1) / 2 - LAG;
  const kind = ((session % 10) + 10) % 10;
  return { session, crashed: kind === 0, errored: kind === 1 };
}

/** What updates [0, total) must leave in the rollups. */
function expected(total) {
  const sessions = new Set();
  let crashed = 0;
  let errored = 0;
  for (let n = 0; n < total; n++) {
    const u = updateOf(n);
    sessions.add(u.session);
    if (u.crashed) crashed += 1;
    if (u.errored) errored += 1;
  }
  return { sessions: sessions.size, crashed, errored };
}

const work = mkdtempSync(join(tmpdir(), "faultline-bench-sessions-"));
try {
  const bundle = join(work, "bundle");
  await wrangler(["deploy", "--dry-run", "--outdir", bundle, "--config", WRANGLER_CONFIG]);
  const { workerOptions } = unstable_getMiniflareWorkerOptions(WRANGLER_CONFIG);
  const state = join(work, "state");
  await applyMigrations(state);
  await seed(state);
  const mf = new Miniflare({
    ...workerOptions,
    modules: true,
    scriptPath: join(bundle, "worker.js"),
    modulesRoot: bundle,
    d1Persist: join(state, "v3", "d1"),
    r2Persist: join(state, "v3", "r2"),
  });
  try {
    console.log(
      `sessions benchmark: ${SESSIONS} sessions (${UPDATES} updates) over ${RELEASES} releases and ${USERS} users, batches of ${BATCH_SIZE}, ${WARMUP} warm-up`,
    );
    await run(mf);
  } finally {
    await mf.dispose();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

async function run(mf) {
  const call = async (path, body) => {
    const res = await mf.dispatchFetch(`http://bench${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  const digest = async (from, to, redeliver = false) => {
    const sum = { updates: 0, acked: 0, retried: 0, digestMs: 0, rowsWritten: 0 };
    for (let at = from; at < to; at += MESSAGES_PER_REQUEST) {
      const r = await call("/digest", {
        template: TEMPLATE,
        from: at,
        to: Math.min(to, at + MESSAGES_PER_REQUEST),
        batchSize: BATCH_SIZE,
        projectId: PROJECT_ID,
        releases: RELEASES,
        users: USERS,
        lag: LAG,
        redeliver,
      });
      for (const key of Object.keys(sum)) sum[key] += r[key];
    }
    return sum;
  };

  await digest(0, WARMUP);
  const sizing = await call("/stats");
  const rowBytes = Math.round(sizing.avgRowBytes);
  const ceilingRuns = [];
  const ceiling = async () => ceilingRuns.push(await call("/ceiling", { count: UPDATES, batchSize: BATCH_SIZE, rowBytes }));
  await ceiling();
  const before = await call("/stats");
  const main = await digest(WARMUP, WARMUP + UPDATES);
  await ceiling();
  const after = await call("/stats");
  // Every update delivered again (as Queues may): nothing may move.
  const again = await digest(0, WARMUP + UPDATES, true);
  const final = await call("/stats");

  const want = expected(WARMUP + UPDATES);
  const problems = [];
  if (main.acked !== UPDATES || main.retried + again.retried > 0)
    problems.push(`${main.acked} of ${UPDATES} acked, ${main.retried + again.retried} retried`);
  for (const key of ["sessions", "crashed", "errored"])
    if (after[key] !== want[key]) problems.push(`${key} ${after[key]}, expected ${want[key]}`);
  for (const key of ["sessions", "crashed", "errored", "states", "userRows"])
    if (final[key] !== after[key]) problems.push(`redelivery moved ${key} from ${after[key]} to ${final[key]}`);
  if (after.rejected > 0) problems.push(`${after.rejected} rejected envelopes`);
  if (problems.length > 0) console.log(`problems: ${problems.join("; ")}`);

  const rate = main.updates / (main.digestMs / 1000);
  const ceilingRate = ceilingRuns.reduce((s, r) => s + r.rows, 0) / (ceilingRuns.reduce((s, r) => s + r.ms, 0) / 1000);
  const sessions = after.sessions - before.sessions;
  const ratio = rate / ceilingRate;
  console.log(
    `${main.updates} updates in ${(main.digestMs / 1000).toFixed(2)} s = ${Math.round(rate)}/s; ` +
      `ceiling ${ceilingRuns.map((r) => `${Math.round(r.rows / (r.ms / 1000))}/s`).join(", ")} (rows of ${rowBytes} B); ` +
      `redelivery of ${again.updates} updates wrote ${again.rowsWritten} rows`,
  );
  console.log(
    `\n${formatTable(
      ["updates", "per s", "ceiling rows/s", "ratio", "D1 rows/session", "D1 rows/update", "rollup rows", "user rows", "target"],
      [
        [
          main.updates,
          Math.round(rate),
          Math.round(ceilingRate),
          `${ratio.toFixed(2)}x`,
          (main.rowsWritten / sessions).toFixed(2),
          (main.rowsWritten / main.updates).toFixed(2),
          after.rollupRows,
          after.userRows,
          `${ratio >= TARGET_RATIO ? "≥" : "<"} ${TARGET_RATIO}x`,
        ],
      ],
    )}`,
  );
  console.log(
    "(ceiling: as many plain rows of the session states' size as updates, multi-row INSERTs, one D1 batch per queue batch; " +
      "D1 rows: meta.rows_written of the batches, over the sessions the run began)\n",
  );
  if (problems.length > 0) {
    console.log("RESULT INVALID: the digest did not count every session exactly once (see above)");
    process.exitCode = 1;
    return;
  }
  console.log(ratio >= TARGET_RATIO ? "target holds" : "target MISSED");
}
