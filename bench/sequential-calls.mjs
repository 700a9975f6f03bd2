// API latency as the dashboard benchmarks measure it: each call requested one after another
// against a local `wrangler pages dev`, a few untimed first, then p50 and p95 of the time to
// the whole answer, printed next to the first call's p50 (a route that touches no data).
import { formatTable } from "./drive-load.mjs";

/**
 * Times each call of `calls` ([name, url(), headers, expected status]) `requests` times after
 * `warmup` untimed, prints the table and answers its rows. Any other status stops the run with
 * the start of the answer and `context()` (the server's output).
 */
export async function timeCallsSequentially(calls, { warmup, requests, context }) {
  const rows = [];
  for (const [name, url, headers, expected] of calls) {
    const times = [];
    for (let i = 0; i < warmup + requests; i++) {
      const t0 = performance.now();
      const res = await fetch(url(), { headers });
      const body = await res.arrayBuffer();
      const ms = performance.now() - t0;
      if (res.status !== expected)
        throw new Error(`${name}: ${res.status}, expected ${expected}: ${new TextDecoder().decode(body).slice(0, 500)}\n${context()}`);
      if (i >= warmup) times.push(ms);
    }
    times.sort((a, b) => a - b);
    rows.push({ name, p50: percentile(times, 0.5), p95: percentile(times, 0.95) });
  }
  const floor = rows[0].p50;
  console.log(`\nSequential requests to wrangler pages dev, ${requests} per call after ${warmup} untimed (ms):\n`);
  console.log(
    formatTable(
      ["call", "p50", "p95", "p50 / no data"],
      rows.map((r) => [r.name, r.p50.toFixed(1), r.p95.toFixed(1), (r.p50 / floor).toFixed(1)]),
    ),
  );
  return rows;
}

/** The value below which a share `p` (0 to 1) of the sorted times fall. */
function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
