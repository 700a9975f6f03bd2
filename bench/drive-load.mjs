// Shared by the benchmarks: settings from flags or environment, one autocannon run per slice,
// and the figures a benchmark reports (throughput, latency percentiles, failed responses), its
// tables and its verdict.
import { parseArgs } from "node:util";
import autocannon from "autocannon";

/**
 * Load settings: `--duration 10 --connections 10 --rounds 2 --warmup 3` or
 * BENCH_DURATION, BENCH_CONNECTIONS, BENCH_ROUNDS, BENCH_WARMUP (flags win). A benchmark's own
 * switches come in `switches` (`{ "without-consumer": "..." }`): `--without-consumer` or
 * BENCH_WITHOUT_CONSUMER=1.
 */
export function loadSettings({ argv = process.argv.slice(2), env = process.env, switches = {} } = {}) {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string" },
      connections: { type: "string" },
      rounds: { type: "string" },
      warmup: { type: "string" },
      help: { type: "boolean", short: "h" },
      ...Object.fromEntries(Object.keys(switches).map((name) => [name, { type: "boolean" }])),
    },
    allowPositionals: false,
  });
  const envName = (name) => `BENCH_${name.toUpperCase().replaceAll("-", "_")}`;
  if (values.help) {
    const lines = [
      ["--duration <s>", "seconds per scenario and round (default 10)"],
      ["--connections <n>", "concurrent connections (default 10)"],
      ["--rounds <n>", "rounds; scenarios alternate within each (default 2)"],
      ["--warmup <s>", "unmeasured seconds per scenario first (default 3)"],
      ...Object.entries(switches).map(([name, what]) => [`--${name}`, what]),
    ];
    console.log(`options (or ${envName("<option>")} in the environment):\n${lines.map(([f, w]) => `  ${f.padEnd(20)}${w}`).join("\n")}`);
    process.exit(0);
  }
  const pick = (name, fallback, min) => {
    const raw = values[name] ?? env[envName(name)];
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${raw}`);
    return n;
  };
  const on = (name) => values[name] ?? ["1", "true", "yes"].includes((env[envName(name)] ?? "").toLowerCase());
  return {
    /** Seconds per slice; each scenario runs `rounds` slices. */
    duration: pick("duration", 10, 1),
    connections: pick("connections", 10, 1),
    rounds: pick("rounds", 2, 1),
    /** Seconds of unmeasured load per scenario before the first round. */
    warmup: pick("warmup", 3, 0),
    ...Object.fromEntries(Object.keys(switches).map((name) => [name, on(name)])),
  };
}

/**
 * Drives `url` for `duration` seconds. `nextBody()` supplies each request's body, so every
 * scenario pays the same client-side cost whether its bodies vary or not.
 */
export async function driveLoad({ url, method = "POST", headers = {}, nextBody, duration, connections, okStatus = 200 }) {
  const latencies = [];
  const statuses = new Map();
  const instance = autocannon({
    url,
    method,
    connections,
    duration,
    headers,
    requests: [{ setupRequest: (req) => ({ ...req, body: nextBody() }) }],
  });
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime);
    statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
  });
  const clientBefore = process.cpuUsage();
  const result = await instance;
  const client = process.cpuUsage(clientBefore);
  let failed = 0;
  for (const [status, count] of statuses) if (status !== okStatus) failed += count;
  return {
    seconds: result.duration,
    latencies,
    statuses,
    failed,
    errors: result.errors,
    timeouts: result.timeouts,
    /** CPU seconds of this (the load-generating) process. */
    clientCpu: (client.user + client.system) / 1e6,
  };
}

/**
 * Folds the slices of one scenario into its figures. A slice may carry `cpu`, CPU seconds per
 * server role; the figures then give CPU milliseconds per request for each role.
 */
export function summarize(slices) {
  const seconds = slices.reduce((s, x) => s + x.seconds, 0);
  const latencies = new Float64Array(slices.flatMap((x) => x.latencies)).sort();
  const statuses = new Map();
  for (const x of slices) for (const [k, v] of x.statuses) statuses.set(k, (statuses.get(k) ?? 0) + v);
  return {
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failed: slices.reduce((s, x) => s + x.failed, 0),
    errors: slices.reduce((s, x) => s + x.errors + x.timeouts, 0),
    statuses,
    cpuMsPerRequest: cpuPerRequest(slices, latencies.length),
  };
}

function cpuPerRequest(slices, requests) {
  const totals = { client: 0 };
  for (const x of slices) {
    totals.client += x.clientCpu;
    for (const [role, seconds] of Object.entries(x.cpu ?? {}))
      if (typeof seconds === "number") totals[role] = (totals[role] ?? 0) + seconds;
  }
  return Object.fromEntries(Object.entries(totals).map(([role, seconds]) => [role, requests ? (seconds * 1000) / requests : Number.NaN]));
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/** A fixed-width text table; columns after the first are right-aligned. */
export function formatTable(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  return [line(all[0]), widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(1).map(line)].join("\n");
}

/**
 * A benchmark's whole-number setting: `--name N`, else BENCH_NAME in the environment (dashes as
 * underscores), else `fallback`. Anything but a positive integer is refused by name.
 */
export function positiveSetting(flags, name, fallback, env = process.env) {
  const raw = flags[name] ?? env[`BENCH_${name.toUpperCase().replaceAll("-", "_")}`];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

/**
 * A benchmark's own flags: `options` as node:util's parseArgs takes them (`--help`/`-h` added),
 * `help` the lines that list them, printed under a heading on --help before exiting. `setting`
 * reads a whole-number one as positiveSetting does.
 */
export function benchFlags(options, help, argv = process.argv.slice(2)) {
  const { values: flags } = parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } } });
  if (flags.help) {
    console.log(`options (or BENCH_<OPTION> in the environment):\n${help}`);
    process.exit(0);
  }
  return { flags, setting: (name, fallback) => positiveSetting(flags, name, fallback) };
}

/** The cases (each with a `key`) that `list` ("a,b"), else BENCH_CASES, names; all without either. None is refused. */
export function selectedCases(all, list, env = process.env) {
  const selected = list ?? env.BENCH_CASES;
  const cases = selected ? all.filter((c) => selected.split(",").includes(c.key)) : all;
  if (cases.length === 0) throw new Error(`no case matches ${selected}; cases are ${all.map((c) => c.key).join(", ")}`);
  return cases;
}

/** A report's last line: with a failed check, RESULT INVALID and why (exit code 1); else the verdict. */
export function printVerdict(valid, why, verdict) {
  if (!valid) {
    console.log(`RESULT INVALID: ${why}`);
    process.exitCode = 1;
    return;
  }
  console.log(verdict);
}
