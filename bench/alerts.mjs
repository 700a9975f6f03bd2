// `npm run bench:alerts`: how long a new error takes from @sentry/node's captureException to a
// webhook receiver, against the stack `npm start` runs (read from .faultline/local.json). Creates
// a rule through the API (a new issue, tagged with this run, to a webhook on a loopback port),
// sends errors one at a time, each a new issue, and reports p50 and p95 of capture → arrival.
// The path it times: SDK → ingest → `events` queue → digest and rule evaluation → `alerts`
// queue → delivery. Each queue's max_batch_timeout (wrangler.toml) is a floor under it.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as Sentry from "@sentry/node";
import { ROOT, readJson } from "../scripts/local-dev.mjs";
import { startAlertReceiver } from "../test/e2e/harness/alert-receiver.mjs";

const { values: flags } = parseArgs({ options: { events: { type: "string" }, help: { type: "boolean", short: "h" } } });
if (flags.help) {
  console.log(`options (or BENCH_EVENTS in the environment):
  --events <n>  timed errors, sent one after another (default 50, after 3 untimed)`);
  process.exit(0);
}
const EVENTS = Number(flags.events ?? process.env.BENCH_EVENTS ?? 50);
if (!Number.isInteger(EVENTS) || EVENTS < 1) throw new Error(`--events must be a positive integer, got ${flags.events}`);
const WARMUP = 3;
const ARRIVAL_TIMEOUT_MS = 30_000;

const local = readJson(join(ROOT, ".faultline", "local.json"));
if (local === null) throw new Error("no .faultline/local.json: start the stack with `npm start` first");
try {
  await (await fetch(`${local.ingestUrl}/health`)).arrayBuffer();
} catch {
  throw new Error(`nothing answers at ${local.ingestUrl}: start the stack with \`npm start\` first`);
}

const run = randomBytes(4).toString("hex");
const receiver = await startAlertReceiver();
const api = (method, path, body) =>
  fetch(`${local.apiUrl}/projects/${local.org}/${local.project}${path}`, {
    method,
    headers: { authorization: `Bearer ${local.apiToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const created = await api("POST", "/alert-rules/", {
  name: `bench:alerts ${run}`,
  triggers: [{ type: "new_issue" }],
  // Only this run's errors: whatever else reaches the project stays out of the numbers.
  filters: [{ type: "tag", key: "bench_run", value: run }],
  targets: [{ type: "webhook", url: receiver.url("ok", `bench-${run}`) }],
  frequencyMinutes: 0,
});
if (created.status !== 201) throw new Error(`could not create the rule: ${created.status} ${await created.text()}`);
const rule = await created.json();
receiver.setSecret(rule.targets[0].secret);

Sentry.init({ dsn: local.dsn, environment: "bench", release: `bench-alerts@${run}`, defaultIntegrations: false });
Sentry.setTag("bench_run", run);

const latencies = [];
try {
  console.log(`Rule ${rule.id} created; sending ${WARMUP} untimed and ${EVENTS} timed errors, one at a time…`);
  for (let i = 0; i < WARMUP + EVENTS; i++) {
    const startedAt = Date.now();
    const eventId = Sentry.withScope((scope) => {
      // A fingerprint of its own: every error is a new issue, so the rule fires for each.
      scope.setFingerprint([`bench-alerts-${run}-${i}`]);
      return Sentry.captureException(new Error(`bench:alerts ${run} #${i}`));
    });
    const [arrival] = await receiver.waitFor((r) => r.body.includes(`"event_id":"${eventId}"`), 1, ARRIVAL_TIMEOUT_MS);
    if (arrival.signatureValid !== true) throw new Error(`the webhook for ${eventId} did not verify`);
    if (i >= WARMUP) latencies.push(arrival.arrivedAt - startedAt);
  }
} finally {
  await api("DELETE", `/alert-rules/${rule.id}/`);
  await Sentry.close(2_000);
  await receiver.close();
}

const sorted = [...latencies].sort((a, b) => a - b);
const quantile = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
console.log(`
capture → webhook arrival, ${EVENTS} new issues one at a time (ms)
  p50  ${quantile(0.5)}
  p95  ${quantile(0.95)}
  min  ${sorted[0]}
  max  ${sorted.at(-1)}`);
