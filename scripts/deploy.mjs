// `npm run deploy`: builds the dashboard, applies pending D1 migrations, deploys the Worker
// (ingest, queue consumers, cron trigger) and the dashboard's Pages project, tells the dashboard
// where ingest answers (INGEST_URL), and prints the URLs. `npm run setup` must have run once.
// Options: --skip-build deploys the dashboard as last built.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PLACEHOLDER_DATABASE_ID, PRODUCTION_BRANCH, readPagesConfig, readWorkerConfig } from "./deploy-config.mjs";
import { deployTargetsFromStdout, ingestUrlFromTargets, parseJsonOutput, runWrangler, runWranglerWithOutputFile } from "./wrangler-cli.mjs";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

export async function deploy({ root = ROOT, skipBuild = false, log = console.log } = {}) {
  const worker = readWorkerConfig(root);
  const pages = readPagesConfig(root);
  // The Pages commands do not read wrangler.toml's account_id; the environment reaches every call.
  if (worker.accountId && !process.env.CLOUDFLARE_ACCOUNT_ID) process.env.CLOUDFLARE_ACCOUNT_ID = worker.accountId;
  if (worker.database.id === PLACEHOLDER_DATABASE_ID)
    throw new Error("wrangler.toml still names the placeholder D1 database: run `npm run setup` first.");
  if (pages.databaseId !== worker.database.id) {
    throw new Error(
      `dashboard/wrangler.toml binds D1 database ${pages.databaseId}, the Worker ${worker.database.id}: run \`npm run setup\` to record the same id in both.`,
    );
  }
  // Source maps uploaded through the dashboard are read by the Worker: one bucket, which setup creates.
  const foreignBucket = pages.buckets.find((bucket) => !worker.buckets.includes(bucket));
  if (foreignBucket !== undefined) {
    throw new Error(
      `dashboard/wrangler.toml binds R2 bucket ${foreignBucket}, which the Worker does not (${worker.buckets.join(", ")}): bind the Worker's bucket.`,
    );
  }

  const dashboardDir = join(root, "dashboard");
  if (!skipBuild) await buildDashboard(root, log);
  const assets = [pages.outputDir, "public"].filter(Boolean).find((dir) => existsSync(join(dashboardDir, dir, "index.html")));
  if (!assets) throw new Error(`no dashboard build: dashboard/${pages.outputDir ?? "dist"}/index.html is missing`);

  const dashboardUrl = await pagesProjectUrl(root, pages.name);
  if (!dashboardUrl) throw new Error(`there is no Pages project "${pages.name}": run \`npm run setup\` first.`);

  log("Applying pending D1 migrations…");
  await runWrangler(root, ["d1", "migrations", "apply", "DB", "--remote"]);

  log("Deploying the Worker (ingest, queue consumers, cron trigger)…");
  const deployArgs = ["deploy"];
  // Links in alerts point at the dashboard (a var the Worker reads, when it has one).
  if ("DASHBOARD_URL" in worker.vars) deployArgs.push("--var", `DASHBOARD_URL:${dashboardUrl}`);
  const deployed = await runWranglerWithOutputFile(root, deployArgs);
  const targets = deployed.entries.find((e) => e.type === "deploy")?.targets ?? deployTargetsFromStdout(deployed.stdout);
  const ingestUrl = (process.env.FAULTLINE_INGEST_URL || ingestUrlFromTargets(targets))?.replace(/\/+$/, "");
  if (!ingestUrl) {
    throw new Error(
      `the Worker deployed, but to no workers.dev address or custom domain (targets: ${targets.join(", ") || "none"}). Set FAULTLINE_INGEST_URL to the origin SDKs should send to.`,
    );
  }

  log("Deploying the dashboard…");
  // The dashboard builds DSNs and SDK snippets from this, not from guesses about hostnames.
  await runWrangler(root, ["pages", "secret", "put", "INGEST_URL", "--project-name", pages.name], { cwd: dashboardDir, input: ingestUrl });
  const uploaded = await runWranglerWithOutputFile(
    root,
    ["pages", "deploy", assets, "--project-name", pages.name, "--branch", PRODUCTION_BRANCH, "--commit-dirty=true"],
    { cwd: dashboardDir },
  );
  const deploymentUrl =
    uploaded.entries.find((e) => e.type === "pages-deploy")?.url ?? /Take a peek over at (\S+)/.exec(uploaded.stdout)?.[1];

  log(`
Deployed.
  Dashboard:  ${dashboardUrl}${deploymentUrl ? `   (this deployment: ${deploymentUrl})` : ""}
  Ingest:     ${ingestUrl}
  Retention:  cron ${worker.crons.join(", ") || "(none configured)"}
`);
  return { dashboardUrl, ingestUrl, deploymentUrl, assets: relative(root, join(dashboardDir, assets)) };
}

/** The dashboard's address: its custom domain if it has one, else its pages.dev subdomain. */
export async function pagesProjectUrl(root, name) {
  const { stdout } = await runWrangler(root, ["pages", "project", "list", "--json"]);
  const project = parseJsonOutput(stdout).find((p) => p["Project Name"] === name);
  if (!project) return undefined;
  const domains = String(project["Project Domains"] ?? "")
    .split(",")
    .map((d) => d.trim())
    .filter(Boolean);
  const domain = domains.find((d) => !d.endsWith(".pages.dev")) ?? domains[0] ?? `${name}.pages.dev`;
  return `https://${domain}`;
}

async function buildDashboard(root, log) {
  const rootScripts = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts ?? {};
  const dashboardPackage = join(root, "dashboard", "package.json");
  const dashboardScripts = existsSync(dashboardPackage) ? (JSON.parse(readFileSync(dashboardPackage, "utf8")).scripts ?? {}) : {};
  if (rootScripts["build:dashboard"]) {
    log("Building the dashboard…");
    await npm(["run", "build:dashboard"], root);
  } else if (dashboardScripts.build) {
    log("Building the dashboard…");
    await npm(["run", "build"], join(root, "dashboard"));
  }
}

function npm(args, cwd) {
  // Under `npm run`, npm_execpath is the npm that started us.
  const execPath = process.env.npm_execpath;
  const [command, argv] = execPath && /\.c?js$/.test(execPath) ? [process.execPath, [execPath, ...args]] : ["npm", args];
  return new Promise((done, fail) => {
    const child = spawn(command, argv, { cwd, stdio: "inherit" });
    child.on("error", fail);
    child.on("close", (code) => (code === 0 ? done() : fail(new Error(`npm ${args.join(" ")} failed (exit ${code})`))));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  deploy({ skipBuild: process.argv.includes("--skip-build") }).catch((err) => {
    console.error(`\nDeploy failed: ${err.message}`);
    process.exit(1);
  });
}
