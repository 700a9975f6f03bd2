// `npm run bench:dashboard`: the dashboard's API on a large project history. Seeds a million
// events in 50,000 issues across 5 projects into a fresh local D1, serves the dashboard under
// `wrangler pages dev`, and times the calls the issue stream and the issue page make (p50, p95),
// next to a route that touches no data (the 401 of a request without credentials: the cost of
// pages dev and the function itself). Then prints SQLite's plan for each of those reads.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { ROOT, applyMigrations, buildDashboard, freePort, queryLocalD1, seed, startDashboard, wrangler } from "../scripts/local-dev.mjs";
import { seedStatements, totalEvents } from "./dashboard/seed-events.mjs";
import { benchFlags } from "./drive-load.mjs";
import { timeCallsSequentially } from "./sequential-calls.mjs";

const { setting } = benchFlags(
  { issues: { type: "string" }, requests: { type: "string" } },
  `  --issues <n>    issues to seed, about 20 events each (default 50000: a million events)
  --requests <n>  timed requests per call (default 200, after 20 untimed)`,
);
const ISSUES = setting("issues", 50_000);
const REQUESTS = setting("requests", 200);
const WARMUP = 20;
const PROJECTS = 5;

const persistTo = mkdtempSync(join(tmpdir(), "faultline-bench-dashboard-"));
let dashboard;
try {
  console.log(`Seeding ${ISSUES} issues and ${totalEvents(ISSUES)} events across ${PROJECTS} projects…`);
  await Promise.all([applyMigrations(persistTo), buildDashboard()]);
  const secrets = await seed(persistTo);
  const now = Date.now();
  const started = performance.now();
  // One file, one wrangler run: each run costs seconds of start-up.
  const file = join(persistTo, "seed-bench.sql");
  writeFileSync(
    file,
    seedStatements({ projects: PROJECTS, issues: ISSUES, now })
      .map((s) => `${s};\n`)
      .join(""),
  );
  await wrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--file", file]);
  const [counts] = await queryLocalD1(
    persistTo,
    "SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM issues) AS issues, (SELECT count(*) FROM projects) AS projects",
  );
  console.log(
    `Seeded ${counts.events} events, ${counts.issues} issues, ${counts.projects} projects in ${((performance.now() - started) / 1000).toFixed(0)} s.`,
  );

  const port = await freePort();
  dashboard = await startDashboard({ port, persistTo });
  const base = `http://127.0.0.1:${port}`;
  const auth = { authorization: `Bearer ${secrets.apiToken}` };

  // A deterministic spread of issue ids, so runs compare.
  let state = 42;
  const randomIssue = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return 1 + (state % ISSUES);
  };
  // The cursor of page 20 of the busiest sort, found by walking the Link headers once.
  let deepPage = `${base}/api/0/projects/faultline/bench-3/issues/?query=is%3Aunresolved&sort=freq`;
  for (let page = 1; page < 20; page++) {
    const res = await fetch(deepPage, { headers: auth });
    await res.arrayBuffer();
    const next = /<([^>]+)>; rel="next"; results="true"/.exec(res.headers.get("link") ?? "")?.[1];
    if (next === undefined) break;
    deepPage = next;
  }

  const calls = [
    ["no data: 401 without credentials", () => `${base}/api/0/projects/`, {}, 401],
    [
      "stream: one project, unresolved, last seen",
      () => `${base}/api/0/projects/faultline/bench-3/issues/?query=is%3Aunresolved&sort=date&statsPeriod=24h`,
      auth,
      200,
    ],
    [
      "stream: by events, 14d sparklines",
      () => `${base}/api/0/projects/faultline/bench-3/issues/?query=is%3Aunresolved&sort=freq&statsPeriod=14d`,
      auth,
      200,
    ],
    ["stream: page 20 by events", () => deepPage, auth, 200],
    [
      "stream: environment:staging",
      () => `${base}/api/0/projects/faultline/bench-3/issues/?query=is%3Aunresolved%20environment%3Astaging`,
      auth,
      200,
    ],
    ["stream: all 5 projects", () => `${base}/api/0/organizations/faultline/issues/?query=is%3Aunresolved`, auth, 200],
    [
      "stream: all 5 projects, free text",
      () => `${base}/api/0/organizations/faultline/issues/?query=is%3Aunresolved%20handler%2042`,
      auth,
      200,
    ],
    ["projects page: stats", () => `${base}/api/0/organizations/faultline/project-stats/`, auth, 200],
    ["issue detail", () => `${base}/api/0/issues/${randomIssue()}/`, auth, 200],
    ["issue: latest event", () => `${base}/api/0/issues/${randomIssue()}/events/latest/`, auth, 200],
    ["issue: events list", () => `${base}/api/0/issues/${randomIssue()}/events/`, auth, 200],
  ];

  await timeCallsSequentially(calls, { warmup: WARMUP, requests: REQUESTS, context: () => dashboard.output() });

  console.log("\nQuery plans on the seeded database:\n");
  for (const { name, sql, params } of await dashboardQueries(randomIssue(), now)) {
    const plan = await queryLocalD1(persistTo, `EXPLAIN QUERY PLAN ${inline(sql, params)}`);
    console.log(`${name}\n${plan.map((step) => `  ${step.detail}`).join("\n")}\n`);
  }
} finally {
  await dashboard?.stop();
  rmSync(persistTo, { recursive: true, force: true });
}

/** The API's queries, built by its own code (bench/dashboard/query-plans.ts, bundled for Node). */
async function dashboardQueries(issueId, now) {
  const out = await build({
    entryPoints: [join(ROOT, "bench", "dashboard", "query-plans.ts")],
    bundle: true,
    format: "esm",
    platform: "node",
    write: false,
    logLevel: "silent",
  });
  const module = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].contents).toString("base64")}`);
  return module.dashboardQueries(issueId, now);
}

/** A statement with its bound parameters written in, for `wrangler d1 execute --command`. */
function inline(sql, params) {
  let i = 0;
  return sql.replace(/\?/g, () => {
    const value = params[i++];
    return typeof value === "number" ? String(value) : `'${String(value).replaceAll("'", "''")}'`;
  });
}
