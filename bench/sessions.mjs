// `npm run bench:sessions`: throughput of the events queue consumer (digestEvents) on session
// updates shaped like @sentry/node's (each session begun by one update and ended by another, a
// batch later), next to plain multi-row inserts of as many rows of the session states' size
// into the same local D1 (the ceiling), and the D1 rows written per session. The same updates
// are then delivered again, which must change no count. A bench-only Worker (bench/sessions/)
// in its own Miniflare, on a fresh copy of a migrated, seeded local state. `--profile` prints
// instead where a batch's time goes, step by step. See BENCHMARKS.md.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../scripts/local-dev.mjs";
import { bundleBenchWorker, inRequests, migratedState, startBenchWorker, workerCpu, workerCpuBetween } from "./bench-worker.mjs";
import { ceilingRuns, perSecond } from "./ceiling.mjs";
import { benchFlags, formatTable, printVerdict } from "./drive-load.mjs";

const { flags, setting } = benchFlags(
  {
    sessions: { type: "string" },
    releases: { type: "string" },
    users: { type: "string" },
    "batch-size": { type: "string" },
    rounds: { type: "string" },
    profile: { type: "boolean" },
  },
  `  --sessions <n>      sessions (two updates each; default 5000)
  --releases <n>      releases they cycle through (default 5)
  --users <n>         distinct users (did) they cycle through (default 1000)
  --batch-size <n>    messages per queue batch (default 100, the consumer's max_batch_size)
  --rounds <n>        digest runs of --sessions each, every one between two ceiling runs (default 1)
  --profile           instead of rates, µs per update of each step of the digest and of each D1 statement`,
);
const SESSIONS = setting("sessions", 5_000);
const RELEASES = setting("releases", 5);
const USERS = setting("users", 1_000);
const BATCH_SIZE = setting("batch-size", 100);
const ROUNDS = setting("rounds", 1);
// An update ends the session begun this many sessions (a batch of updates) earlier.
const LAG = Math.ceil(BATCH_SIZE / 2);
const WARMUP = 2 * BATCH_SIZE;
const UPDATES = 2 * SESSIONS;
const ALL_UPDATES = WARMUP + ROUNDS * UPDATES;
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
  const worker = await bundleBenchWorker(WRANGLER_CONFIG, join(work, "bundle"));
  const { call, dispose } = startBenchWorker(worker, await migratedState(join(work, "state")));
  try {
    console.log(
      `sessions benchmark: ${ROUNDS} × ${SESSIONS} sessions (${UPDATES} updates) over ${RELEASES} releases and ${USERS} users, batches of ${BATCH_SIZE}, ${WARMUP} warm-up`,
    );
    await run(call);
  } finally {
    await dispose();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

async function run(call) {
  const request = (from, to, redeliver) => ({
    template: TEMPLATE,
    from,
    to,
    batchSize: BATCH_SIZE,
    projectId: PROJECT_ID,
    releases: RELEASES,
    users: USERS,
    lag: LAG,
    redeliver,
  });
  const digest = (from, to, redeliver = false) =>
    inRequests(to - from, MESSAGES_PER_REQUEST, ["updates", "acked", "retried", "digestMs", "rowsWritten"], (done, n) =>
      call("/digest", request(from + done, from + done + n, redeliver)),
    );

  await digest(0, WARMUP);
  if (flags.profile) {
    const steps = await call("/profile", request(WARMUP, WARMUP + UPDATES, false));
    console.log(
      `µs per update:\n${Object.entries(steps)
        .map(([k, v]) => `  ${v.toFixed(1).padStart(7)}  ${k}`)
        .join("\n")}`,
    );
    return;
  }
  const sizing = await call("/stats");
  const rowBytes = Math.round(sizing.avgRowBytes);
  const ceiling = ceilingRuns(call, { count: UPDATES, batchSize: BATCH_SIZE, rowBytes });
  await ceiling.run();
  const before = await call("/stats");
  const main = { updates: 0, acked: 0, retried: 0, digestMs: 0, rowsWritten: 0, cpu: 0 };
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t = workerCpu();
    const r = await digest(WARMUP + round * UPDATES, WARMUP + (round + 1) * UPDATES);
    r.cpu = workerCpuBetween(t, workerCpu());
    rounds.push(r);
    for (const key of Object.keys(main)) main[key] += r[key];
    await ceiling.run();
  }
  const after = await call("/stats");
  // Every update delivered again (as Queues may): nothing may move.
  const again = await digest(0, ALL_UPDATES, true);
  const final = await call("/stats");

  const want = expected(ALL_UPDATES);
  const problems = [];
  if (main.acked !== ROUNDS * UPDATES || main.retried + again.retried > 0)
    problems.push(`${main.acked} of ${ROUNDS * UPDATES} acked, ${main.retried + again.retried} retried`);
  for (const key of ["sessions", "crashed", "errored"])
    if (after[key] !== want[key]) problems.push(`${key} ${after[key]}, expected ${want[key]}`);
  for (const key of ["sessions", "crashed", "errored", "states", "userRows"])
    if (final[key] !== after[key]) problems.push(`redelivery moved ${key} from ${after[key]} to ${final[key]}`);
  if (after.rejected > 0) problems.push(`${after.rejected} rejected envelopes`);
  if (problems.length > 0) console.log(`problems: ${problems.join("; ")}`);

  const rate = main.updates / (main.digestMs / 1000);
  const ceilingRate = ceiling.rate();
  const sessions = after.sessions - before.sessions;
  const ratio = rate / ceilingRate;
  // CPU of workerd (the Worker with its local D1) per update and per ceiling row: steadier than
  // rates when other work shares the machine; under saturation throughput goes as its inverse.
  const cpuPerUpdate = (main.cpu * 1e6) / main.updates;
  const cpuPerRow = ceiling.cpuPerRow();
  console.log(
    `${main.updates} updates in ${(main.digestMs / 1000).toFixed(2)} s = ${Math.round(rate)}/s ` +
      `(rounds: ${rounds.map((r) => perSecond(r.updates, r.digestMs)).join(", ")}); ` +
      `ceiling ${ceiling.rates()} (rows of ${rowBytes} B); ` +
      `redelivery of ${again.updates} updates wrote ${again.rowsWritten} rows`,
  );
  console.log(
    `\n${formatTable(
      [
        "updates",
        "per s",
        "ceiling rows/s",
        "ratio",
        "µs CPU/update",
        "µs CPU/ceiling row",
        "ratio by CPU",
        "D1 rows/session",
        "D1 rows/update",
        "rollup rows",
        "user rows",
        "target",
      ],
      [
        [
          main.updates,
          Math.round(rate),
          Math.round(ceilingRate),
          `${ratio.toFixed(2)}x`,
          Math.round(cpuPerUpdate),
          Math.round(cpuPerRow),
          Number.isNaN(cpuPerUpdate / cpuPerRow) ? "-" : `${(cpuPerRow / cpuPerUpdate).toFixed(2)}x`,
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
    "(ceiling: as many plain rows of the session states' size as updates, multi-row INSERTs, one D1 batch per queue batch, " +
      "run before and after every round; D1 rows: meta.rows_written of the batches, over the sessions the run began; " +
      "µs CPU: workerd with its local D1)\n",
  );
  printVerdict(
    problems.length === 0,
    "the digest did not count every session exactly once (see above)",
    ratio >= TARGET_RATIO ? "target holds" : "target MISSED",
  );
}
