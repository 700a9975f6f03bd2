// `npm run bench:digest`: throughput of the events queue consumer (digestEvents) writing to a
// local D1, next to plain multi-row inserts of the same number of rows of the same size into
// the same D1 (the ceiling). Each case runs a bench-only Worker (bench/digest/) in its own
// Miniflare (bench/bench-worker.mjs: the Miniflare that wrangler runs, without `wrangler dev`'s
// proxy, file watching and reloads, which on a busy machine reloaded the runtime between two
// requests), on a fresh copy of a migrated, seeded local state. See BENCHMARKS.md.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../scripts/local-dev.mjs";
import { inRequests, runCases, workerCpu, workerCpuBetween } from "./bench-worker.mjs";
import { ceilingRuns } from "./ceiling.mjs";
import { benchFlags, formatTable, printVerdict, selectedCases } from "./drive-load.mjs";

const { flags, setting } = benchFlags(
  {
    events: { type: "string" },
    issues: { type: "string" },
    "batch-size": { type: "string" },
    cases: { type: "string" },
    profile: { type: "boolean" },
  },
  `  --events <n>      events per case for the repeated-error and large-event cases (default 5000)
  --issues <n>      distinct issues in the distinct-issues case (default 10000)
  --batch-size <n>  messages per queue batch (default 100, the consumer's max_batch_size)
  --cases <list>    which cases, e.g. repeated,large (default: repeated,distinct,large)
  --profile         instead of rates, where the time goes: each step of preparing a batch, and
                    each kind of statement of persisting it`,
);
const EVENTS = setting("events", 5_000);
const ISSUES = setting("issues", 10_000);
const BATCH_SIZE = setting("batch-size", 100);
// Unmeasured messages first, so module loading and JIT warm-up stay out of the figures.
const WARMUP = 2 * BATCH_SIZE;
const PROJECT_ID = 1;

const fixture = (name) => readFileSync(join(ROOT, "test", "fixtures", "sdk-requests", name), "utf8");

/**
 * A captured envelope with placeholders for what varies per message: its event id (envelope
 * header and event item) and the event's timestamp, which the bench Worker sets to now.
 */
function template(name) {
  const envelope = fixture(name);
  const id = /^\{"event_id":"([0-9a-f]{32})"/.exec(envelope)?.[1];
  if (!id) throw new Error(`${name} has no event_id in its header`);
  const [header, itemHeader, payload, ...rest] = envelope.split("\n");
  if (JSON.parse(itemHeader).type !== "event" || "length" in JSON.parse(itemHeader))
    throw new Error(`${name}: expected one event item without a length`);
  const event = JSON.parse(payload);
  if (typeof event.timestamp !== "number") throw new Error(`${name}: the event has no numeric timestamp`);
  const withTimestamp = payload.replace(`"timestamp":${event.timestamp}`, '"timestamp":{{TIMESTAMP}}');
  if (withTimestamp === payload) throw new Error(`${name}: timestamp not found as written`);
  return [header, itemHeader, withTimestamp, ...rest].join("\n").replaceAll(id, "{{EVENT_ID}}");
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
const cases = selectedCases(CASES, flags.cases);

// Messages per request to the bench Worker: each request stays short; timing is per batch inside.
const MESSAGES_PER_REQUEST = 10 * BATCH_SIZE;

const results = await runCases("digest", cases, runCase, async () =>
  console.log(`digest benchmark: batches of ${BATCH_SIZE} messages, ${WARMUP} warm-up messages per case`),
);
if (!flags.profile) report(results);

/** One case against a fresh state: its figures, or (with --profile) its profile printed. */
async function runCase(c, call) {
  /** Digests `count` messages numbered from `offset`, a few batches per request; the figures summed. */
  const digest = (count, offset) =>
    inRequests(count, MESSAGES_PER_REQUEST, ["messages", "acked", "retried", "buildMs", "digestMs"], (done, n) =>
      call("/digest", { template: c.template, count: n, offset: offset + done, batchSize: BATCH_SIZE, projectId: PROJECT_ID }),
    );

  // Warm-up numbers its messages after the measured ones, so distinct issues stay distinct.
  const warm = await digest(WARMUP, c.count);
  if (flags.profile) {
    printProfile(
      c,
      await call("/profile", { template: c.template, count: c.count, offset: 0, batchSize: BATCH_SIZE, projectId: PROJECT_ID }),
    );
    return null;
  }
  const sizing = await call("/stats");
  const rowBytes = Math.round(sizing.avgRowBytes);

  // The ceiling runs before and after the digest, so drift on the shared machine hits both.
  const ceiling = ceilingRuns(call, { count: c.count, batchSize: BATCH_SIZE, rowBytes });
  await ceiling.run();
  const before = workerCpu();
  const run = await digest(c.count, 0);
  const digestCpu = workerCpuBetween(before, workerCpu());
  await ceiling.run();

  // Every message acknowledged, every event stored once and counted once.
  const after = await call("/stats");
  const expectedEvents = warm.messages + run.messages;
  const expectedIssues = c.issues(c.count) + (c.issues(c.count) === 1 ? 0 : c.issues(WARMUP));
  const problems = [];
  if (run.acked !== c.count || run.retried + warm.retried > 0)
    problems.push(`${run.acked} of ${c.count} messages acked, ${run.retried + warm.retried} retried`);
  if (after.events !== expectedEvents) problems.push(`${after.events} events stored, expected ${expectedEvents}`);
  if (after.timesSeen !== expectedEvents) problems.push(`times_seen adds up to ${after.timesSeen}, expected ${expectedEvents}`);
  if (after.issues !== expectedIssues) problems.push(`${after.issues} issues, expected ${expectedIssues}`);
  if (after.rejected > 0) problems.push(`${after.rejected} rejected envelopes`);
  if (problems.length > 0) console.log(`${c.name}: ${problems.join("; ")}`);

  const figures = {
    case: c,
    valid: problems.length === 0,
    events: run.messages,
    rate: run.messages / (run.digestMs / 1000),
    ceilingRate: ceiling.rate(),
    cpuPerEvent: (digestCpu * 1e6) / run.messages,
    ceilingCpuPerRow: ceiling.cpuPerRow(),
    envelopeBytes: Buffer.byteLength(
      c.template.replaceAll("{{EVENT_ID}}", "0".repeat(32)).replace("{{TIMESTAMP}}", "1795306128.453").replaceAll("{{N}}", "0"),
    ),
    rowBytes,
  };
  console.log(
    `${c.name}: ${run.messages} events in ${(run.digestMs / 1000).toFixed(2)} s = ${Math.round(figures.rate)}/s; ` +
      `ceiling ${ceiling.rates()} (rows of ${rowBytes} B)`,
  );
  return figures;
}

function report(results) {
  const us = (v) => (Number.isNaN(v) ? "-" : Math.round(v));
  const rows = results.map((f) => [
    f.case.name,
    f.events,
    `${(f.envelopeBytes / 1024).toFixed(1)} KB`,
    `${(f.rowBytes / 1024).toFixed(1)} KB`,
    Math.round(f.rate),
    Math.round(f.ceilingRate),
    `${(f.rate / f.ceilingRate).toFixed(2)}x`,
    us(f.cpuPerEvent),
    us(f.ceilingCpuPerRow),
    `${f.rate >= f.case.target ? "≥" : "<"} ${f.case.target}`,
  ]);
  const header = ["case", "events", "envelope", "row", "events/s", "ceiling rows/s", "ratio", "µs CPU/event", "µs CPU/row", "target"];
  console.log(`\n${formatTable(header, rows)}`);
  console.log(
    "(ceiling: as many plain rows of the events' stored size, multi-row INSERTs, one D1 batch per queue batch; " +
      "µs CPU: workerd, running the Worker and its local D1, per event or row)\n",
  );
  const missed = results.filter((f) => f.rate < f.case.target);
  printVerdict(
    results.every((f) => f.valid),
    "the digest did not store every event exactly once (see above)",
    missed.length === 0 ? "targets hold" : `targets MISSED: ${missed.map((f) => f.case.name).join(", ")}`,
  );
}

function printProfile(c, p) {
  const perEvent = (ms, events = p.events) => ((ms * 1000) / events).toFixed(0);
  const { "(stored JSON bytes)": jsonBytes, "persist (one D1 batch)": persistMs, ...prepare } = p.steps;
  // Persisting is timed on every other batch (the rest run split by kind of statement).
  const persistEvents = Math.ceil(p.batches / 2) * BATCH_SIZE;
  const steps = [
    ...Object.entries(prepare).map(([step, ms]) => [step, (ms * 1000) / p.events]),
    ["persist (one D1 batch)", (persistMs * 1000) / persistEvents],
  ];
  const total = steps.reduce((a, [, v]) => a + v, 0);
  console.log(`\n${c.name}: ${p.events} events, ${Math.round(jsonBytes / p.events)} B of event JSON each`);
  console.log(
    formatTable(
      ["step", "µs/event", "share"],
      steps.map(([step, v]) => [step, v.toFixed(0), `${Math.round((100 * v) / total)}%`]),
    ),
  );
  const statementEvents = p.events - persistEvents;
  console.log(
    `\npersist statements by kind, each kind its own D1 batch, on ${statementEvents} events (an empty D1 call takes ${p.roundTripMs.toFixed(2)} ms):`,
  );
  console.log(
    formatTable(
      ["statement", "runs", "ms", "µs/event", "less calls"],
      p.statements.map((s) => [
        s.sql,
        s.runs,
        s.ms,
        perEvent(s.ms, statementEvents),
        perEvent(Math.max(0, s.ms - s.calls * p.roundTripMs), statementEvents),
      ]),
    ),
  );
}
