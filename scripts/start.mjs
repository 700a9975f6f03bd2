// `npm start`: the whole stack locally — D1 schema, seed data, the Worker (ingest and queue
// consumers) on :8787 and the dashboard on :8788, sharing one state folder.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, applyMigrations, buildDashboard, fireCronTriggers, readJson, seed, startDashboard, startWorker } from "./local-dev.mjs";

const persistTo = join(ROOT, ".wrangler", "state");
const configFile = join(ROOT, ".faultline", "local.json");
const ingestPort = Number(process.env.FAULTLINE_INGEST_PORT ?? 8787);
const dashboardPort = Number(process.env.FAULTLINE_DASHBOARD_PORT ?? 8788);

const previous = readJson(configFile);
console.log("Applying the D1 schema…");
await applyMigrations(persistTo);
const secrets = await seed(persistTo, {
  publicKey: previous?.dsn ? new URL(previous.dsn).username : undefined,
  password: previous?.login?.password,
  email: previous?.login?.email,
  apiToken: previous?.apiToken,
});

console.log("Building the dashboard…");
await buildDashboard();

console.log("Starting the Worker and the dashboard…");
const [worker, dashboard] = await Promise.all([
  startWorker({ port: ingestPort, persistTo, quiet: false }),
  startDashboard({ port: dashboardPort, persistTo, ingestUrl: `http://127.0.0.1:${ingestPort}`, quiet: true }),
]);

// wrangler dev fires no cron triggers: the scheduled jobs run on production's schedule from here.
const cronTriggers = fireCronTriggers({ port: ingestPort, log: (line) => console.error(line) });

const ingestUrl = `http://127.0.0.1:${ingestPort}`;
const dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
const local = {
  dsn: `http://${secrets.publicKey}@127.0.0.1:${ingestPort}/1`,
  ingestUrl,
  dashboardUrl,
  apiUrl: `${dashboardUrl}/api/0`,
  apiToken: secrets.apiToken,
  org: "faultline",
  project: "default",
  login: { email: secrets.email, password: secrets.password },
};
mkdirSync(join(ROOT, ".faultline"), { recursive: true });
writeFileSync(configFile, `${JSON.stringify(local, null, 2)}\n`);

console.log(`
Faultline is running.
  DSN:        ${local.dsn}
  Dashboard:  ${local.dashboardUrl}
  Login:      ${local.login.email} / ${local.login.password}
  API token:  ${local.apiToken}
  Cron jobs:  ${cronTriggers.crons.join(", ")} (UTC), fired on schedule as production's triggers are
(written to .faultline/local.json; Ctrl-C stops everything)
`);

let stopping = false;
const stopAll = async () => {
  if (stopping) return;
  stopping = true;
  cronTriggers.stop();
  await Promise.all([worker.stop(), dashboard.stop()]);
  process.exit(0);
};
process.on("SIGINT", stopAll);
process.on("SIGTERM", stopAll);
for (const p of [worker, dashboard]) p.child.on("exit", (code) => !stopping && (console.error(`a process exited (${code})`), stopAll()));
