// `npm run bench:monitors`: what the minute job (the `* * * * *` cron trigger's run of
// runScheduledJobs) costs with 1,000 cron monitors and 100 uptime monitors, per run: D1 calls,
// statements and batches, D1's rows read and written, workerd CPU and wall time, against the
// same runs over no monitors (the baseline: the other minute jobs, metric alerts, reprocessing,
// assignment emails, alone). The uptime monitors watch a local HTTP server this script runs.
// Several consecutive minutes are run, the last one twice at once (a cron trigger fired twice),
// and the bench checks that each due uptime monitor was checked exactly once per due time
// (recorded once, and requested once), each missed run recorded once, each run past its
// max_runtime timed out, and each failure that counts one event. A bench-only Worker
// (bench/monitors/) in its own Miniflare, on a fresh copy of a migrated, seeded state per case
// (bench/bench-worker.mjs). See BENCHMARKS.md.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { onFreshState, prepareBenchWorker, workerCpu, workerCpuBetween } from "./bench-worker.mjs";
import { benchFlags, formatTable, printVerdict } from "./drive-load.mjs";

const { setting } = benchFlags(
  {
    "cron-monitors": { type: "string" },
    "uptime-monitors": { type: "string" },
    minutes: { type: "string" },
    history: { type: "string" },
    "slow-ms": { type: "string" },
    statements: { type: "string" },
  },
  `  --cron-monitors <n>    cron monitors (default 1000)
  --uptime-monitors <n>  uptime monitors, all due in the first minute (default 100)
  --minutes <n>          consecutive minutes run, then the next one twice at once (default 6)
  --history <n>          past check-ins seeded per cron monitor, and checks per uptime monitor, at most (default 720:
                         what a failure streak reads; an uptime monitor's are at most a day's)
  --slow-ms <n>          how long the slow uptime targets take to answer (default 1500)
  --statements <n>       the statements listed by rows read and written (default 8)`,
);
const CRON_MONITORS = setting("cron-monitors", 1000);
const UPTIME_MONITORS = setting("uptime-monitors", 100);
const MINUTES = setting("minutes", 6);
const HISTORY = setting("history", 720);
const SLOW_MS = setting("slow-ms", 1500);
const STATEMENTS = setting("statements", 8);
const MINUTE = 60_000;

// The minutes: now's, then one after another; the last run twice at once.
const t0 = Math.floor(Date.now() / MINUTE) * MINUTE;
const minutes = Array.from({ length: MINUTES + 1 }, (_, k) => t0 + k * MINUTE);
const WARMUP = [t0 - 30 * MINUTE, t0 - 20 * MINUTE];

const targets = await startTargets();
const work = mkdtempSync(join(tmpdir(), "faultline-bench-monitors-"));
try {
  const bench = await prepareBenchWorker("monitors", work);
  console.log(
    `minute job benchmark: ${CRON_MONITORS} cron monitors (up to ${HISTORY} past check-ins each), ${UPTIME_MONITORS} uptime monitors ` +
      `(slow targets ${SLOW_MS} ms), ${MINUTES} minutes and the next twice at once; against the same minutes over no monitors`,
  );
  const baseline = await onFreshState(bench, join(work, "baseline"), (call) => runCase(call, false));
  const loaded = await onFreshState(bench, join(work, "loaded"), (call) => runCase(call, true));
  report(baseline, loaded);
} finally {
  rmSync(work, { recursive: true, force: true });
  targets.server.close();
}

async function runCase(call, withMonitors) {
  await call("/rule", { now: t0 - 40 * MINUTE });
  for (const at of WARMUP) await call("/minute", { now: at });
  if (withMonitors) {
    const started = Date.now();
    const seeded = await call("/seed", {
      t0,
      cronMonitors: CRON_MONITORS,
      uptimeMonitors: UPTIME_MONITORS,
      history: HISTORY,
      targetOrigin: targets.origin,
      slowMs: SLOW_MS,
    });
    console.log(
      `seeded ${seeded.monitors} cron monitors with ${seeded.checkIns} check-ins and ${seeded.uptimeMonitors} uptime monitors with ${seeded.uptimeChecks} checks in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  const runs = [];
  for (const [k, at] of minutes.entries()) {
    const twice = k === minutes.length - 1;
    if (withMonitors) await call("/check-in", { now: at, total: CRON_MONITORS });
    const before = await call("/tally");
    const load = loadavg()[0];
    const cpu = workerCpu();
    const wall = Date.now();
    const results = await Promise.all(Array.from({ length: twice ? 2 : 1 }, () => call("/minute", { now: at })));
    const ms = Date.now() - wall;
    const cpuSeconds = workerCpuBetween(cpu, workerCpu());
    const after = await call("/tally");
    for (const r of results) if (r.error) throw new Error(`the minute job at ${new Date(at).toISOString()} failed: ${r.error}`);
    runs.push({ k, at, twice, results, ms, cpuMs: cpuSeconds * 1000, load, work: difference(before, after) });
  }
  if (!withMonitors) return { runs, problems: [] };
  return { runs, problems: await check(call) };
}

function difference(before, after) {
  return Object.fromEntries(Object.keys(after).map((key) => [key, after[key] - before[key]]));
}

/** What the runs recorded, against what they must have: the problems found. */
async function check(call) {
  const runTimes = minutes;
  const want = await call("/expected", { t0, runs: runTimes, cronMonitors: CRON_MONITORS, uptimeMonitors: UPTIME_MONITORS });
  const got = await call("/recorded");
  const problems = [];
  const compare = (what, expectedPairs, rows, key) => {
    const counts = new Map(rows.map((r) => [key(r), r.n]));
    const wanted = new Set(expectedPairs.map(([a, b]) => `${a}@${b}`));
    const absent = [...wanted].filter((k) => !counts.has(k));
    const twice = [...counts].filter(([, n]) => n !== 1).map(([k]) => k);
    const extra = [...counts.keys()].filter((k) => !wanted.has(k));
    if (absent.length + twice.length + extra.length > 0)
      problems.push(
        `${what}: ${absent.length} missing (${absent.slice(0, 3).join(", ")}), ${twice.length} recorded more than once (${twice.slice(0, 3).join(", ")}), ` +
          `${extra.length} unexpected (${extra.slice(0, 3).join(", ")})`,
      );
    return counts.size;
  };
  const missed = compare("missed check-ins", want.missed, got.missed, (r) => `${r.env_id}@${r.expected}`);
  const checks = compare("uptime checks", want.uptime, got.uptime, (r) => `${r.monitor_id}@${r.scheduled_at}`);
  const status = new Map(got.running.map((r) => [r.env_id, r]));
  const wrongTimeouts = [
    ...want.timedOut.filter((id) => status.get(id)?.status !== "timeout" || status.get(id)?.n !== 1),
    ...want.running.filter((id) => status.get(id)?.status !== "in_progress"),
  ];
  if (wrongTimeouts.length > 0)
    problems.push(`runs in progress: ${wrongTimeouts.length} not as expected (monitors ${wrongTimeouts.slice(0, 5)})`);
  // The target's side: each monitor requested once per due time, never more.
  const perMonitor = new Map();
  for (const [id] of want.uptime) perMonitor.set(id, (perMonitor.get(id) ?? 0) + 1);
  const wrongHits = [...new Set([...perMonitor.keys(), ...targets.hits.keys()])].filter(
    (id) => (targets.hits.get(id) ?? 0) !== (perMonitor.get(id) ?? 0),
  );
  if (wrongHits.length > 0)
    problems.push(
      `uptime targets: ${wrongHits.length} monitors requested other than once per due time (${wrongHits
        .slice(0, 5)
        .map((id) => `${id}: ${targets.hits.get(id) ?? 0} of ${perMonitor.get(id) ?? 0}`)
        .join(", ")})`,
    );
  const f = got.failures;
  if (f.events !== f.cron + f.uptime || f.eventsOfFailures !== f.events || f.timesSeen !== f.events)
    problems.push(
      `failure events: ${f.events} events (${f.eventsOfFailures} of counted failures), ${f.timesSeen} times seen, for ${f.cron} cron and ${f.uptime} uptime failures`,
    );
  console.log(
    `recorded: ${missed} missed check-ins (${want.missed.length} expected), ${want.timedOut.length} runs timed out, ${checks} uptime checks ` +
      `(${want.uptime.length} expected, ${[...targets.hits.values()].reduce((a, b) => a + b, 0)} requests), ` +
      `${f.cron + f.uptime} failures counted toward ${f.issues} issues (${f.resolved} resolved), ${f.events} events`,
  );
  return problems;
}

/** The uptime monitors' targets: /m/<id>/ok answers 200 at once, fail 500, slow 200 after SLOW_MS, recover 503 twice then 200. */
async function startTargets() {
  const hits = new Map();
  const server = createServer((req, res) => {
    const [, , id, kind] = (req.url ?? "").split("/");
    const n = (hits.get(Number(id)) ?? 0) + 1;
    hits.set(Number(id), n);
    const answer = (status) => {
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status < 300 ? "healthy" : "unhealthy");
    };
    if (kind === "fail") answer(500);
    else if (kind === "slow") setTimeout(() => answer(200), SLOW_MS);
    else if (kind === "recover") answer(n <= 2 ? 503 : 200);
    else answer(200);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, hits, origin: `http://127.0.0.1:${server.address().port}` };
}

function report(baseline, loaded) {
  const row = (label, r) => {
    const sum = (key) => r.results.reduce((s, x) => s + x[key], 0);
    return [
      label,
      r.work.uptimeChecks ?? 0,
      r.work.missed ?? 0,
      r.work.timeouts ?? 0,
      sum("calls"),
      sum("statements"),
      `${sum("batches")} (${Math.max(...r.results.map((x) => x.largestBatch))})`,
      sum("rowsRead"),
      sum("rowsWritten"),
      Number.isNaN(r.cpuMs) ? "-" : Math.round(r.cpuMs),
      r.ms,
      r.load.toFixed(1),
      sum("unmetered") > 0 ? `${sum("unmetered")} unmetered` : "",
    ];
  };
  const label = (r) => `${r.k === 0 ? "t0" : `t0+${r.k}m`}${r.twice ? " ×2" : ""}`;
  const header = [
    "run",
    "uptime checks",
    "missed",
    "timeouts",
    "D1 calls",
    "statements",
    "batches (largest)",
    "rows read",
    "rows written",
    "CPU ms",
    "wall ms",
    "load",
    "",
  ];
  const mean = (runs, pick) => runs.reduce((s, r) => s + pick(r), 0) / runs.length;
  const single = (runs) => runs.filter((r) => !r.twice);
  const averaged = (runs) => ({
    statements: mean(single(runs), (r) => r.results[0].statements),
    rowsRead: mean(single(runs), (r) => r.results[0].rowsRead),
    rowsWritten: mean(single(runs), (r) => r.results[0].rowsWritten),
    cpuMs: mean(single(runs), (r) => r.cpuMs),
    ms: mean(single(runs), (r) => r.ms),
  });
  console.log(
    `\nno monitors (baseline)\n${formatTable(
      header,
      baseline.runs.map((r) => row(label(r), r)),
    )}`,
  );
  console.log(
    `\n${CRON_MONITORS} cron monitors, ${UPTIME_MONITORS} uptime monitors\n${formatTable(
      header,
      loaded.runs.map((r) => row(label(r), r)),
    )}`,
  );
  const b = averaged(baseline.runs);
  const l = averaged(loaded.runs);
  const ratio = (key) => (b[key] > 0 ? `${(l[key] / b[key]).toFixed(1)}x` : "-");
  console.log(
    `\n${formatTable(
      ["mean of the single runs", "statements", "rows read", "rows written", "CPU ms", "wall ms"],
      [
        ["no monitors", b.statements.toFixed(1), Math.round(b.rowsRead), Math.round(b.rowsWritten), Math.round(b.cpuMs), Math.round(b.ms)],
        [
          "with monitors",
          l.statements.toFixed(1),
          Math.round(l.rowsRead),
          Math.round(l.rowsWritten),
          Math.round(l.cpuMs),
          Math.round(l.ms),
        ],
        ["ratio", ratio("statements"), ratio("rowsRead"), ratio("rowsWritten"), ratio("cpuMs"), ratio("ms")],
      ],
    )}`,
  );
  console.log(
    "(statements: each single call, every statement of a batch; rows: D1's meta.rows_read / rows_written; CPU: workerd, the Worker with its local D1; load: 1-minute load average)",
  );

  // Where the rows go: the statements of the runs with monitors, by the rows they read and wrote.
  const bySql = new Map();
  for (const r of loaded.runs)
    for (const result of r.results)
      for (const [sql, cost] of Object.entries(result.bySql)) {
        const s = bySql.get(sql) ?? { runs: 0, rowsRead: 0, rowsWritten: 0 };
        bySql.set(sql, { runs: s.runs + cost.runs, rowsRead: s.rowsRead + cost.rowsRead, rowsWritten: s.rowsWritten + cost.rowsWritten });
      }
  const top = (key) =>
    [...bySql]
      .sort((x, y) => y[1][key] - x[1][key])
      .slice(0, STATEMENTS)
      .map(([sql, s]) => [sql.slice(0, 100), s.runs, s.rowsRead, s.rowsWritten]);
  const totals = [...bySql.values()].reduce((t, s) => ({ read: t.read + s.rowsRead, written: t.written + s.rowsWritten }), {
    read: 0,
    written: 0,
  });
  console.log(
    `\nstatements by rows read, over every run with monitors (${totals.read} in all)\n${formatTable(["statement", "runs", "rows read", "rows written"], top("rowsRead"))}`,
  );
  console.log(
    `\nby rows written (${totals.written} in all)\n${formatTable(["statement", "runs", "rows read", "rows written"], top("rowsWritten"))}\n`,
  );

  if (loaded.problems.length > 0) console.log(`problems:\n  ${loaded.problems.join("\n  ")}`);
  printVerdict(
    loaded.problems.length === 0,
    "the minute job did not record every due check exactly once (see above)",
    "checks hold: every due uptime monitor checked once per due time, every missed run and timeout recorded once",
  );
}
