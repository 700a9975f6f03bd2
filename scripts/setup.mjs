// `npm run setup`: everything Faultline needs on a Cloudflare account, then a first deploy.
// Needs `npx wrangler login` or CLOUDFLARE_API_TOKEN (plus CLOUDFLARE_ACCOUNT_ID when the token
// sees several accounts). Safe to run again: it looks up what exists and creates only what is
// missing — the D1 database, the queues, the R2 bucket, the dashboard's Pages project and its
// session secret — records the database id in wrangler.toml and dashboard/wrangler.toml,
// applies migrations, creates the first owner with an organization, a project and a DSN key
// (when no user exists yet), deploys (scripts/deploy.mjs) and prints the dashboard URL and DSN.
//
// Options (or environment):
//   --admin-email <email>   FAULTLINE_ADMIN_EMAIL; default: git's user.email. With neither,
//                           no owner is created and the dashboard's one-time setup form is left
//                           for the first visitor.
//   FAULTLINE_ADMIN_PASSWORD  the owner's password; default: a generated one, printed once.
//   --reset-admin-password  give the owner (--admin-email) a new password and end their sessions.
//   --skip-build            deploy the dashboard as last built.
//   FAULTLINE_D1_LOCATION   a location hint for a new D1 database (weur, eeur, apac, oc, wnam, enam).
//
// Push alerts sign with a VAPID key pair (RFC 8292) made once: the Worker keeps both halves as
// secrets, the dashboard the public key, which browsers subscribe with.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { readPagesConfig, readWorkerConfig, recordDatabaseId, PRODUCTION_BRANCH } from "./deploy-config.mjs";
import { deploy } from "./deploy.mjs";
import { hashPassword, newVapidKeys } from "./local-dev.mjs";
import { parseBucketNames, parseJsonOutput, parseSecretNames, parseTable, runWrangler, wranglerFailure } from "./wrangler-cli.mjs";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
/**
 * Pages secrets the dashboard runs with, made once and kept. SESSION_SECRET signs the session
 * cookies: replacing it ends every session (a way to log everyone out).
 */
const PAGES_SECRETS = { SESSION_SECRET: () => randomBytes(32).toString("base64url") };
const MAX_QUEUE_PAGES = 20;

export async function setup({ root = ROOT, adminEmail, resetAdminPassword = false, skipBuild = false, log = console.log } = {}) {
  const wrangler = (args, options) => runWrangler(root, args, options);
  await checkLogin(root);
  const worker = readWorkerConfig(root);
  const pages = readPagesConfig(root);

  // D1 ------------------------------------------------------------------------------------------
  const databases = parseJsonOutput((await wrangler(["d1", "list", "--json"])).stdout);
  let databaseId = databases.find((d) => d.name === worker.database.name)?.uuid;
  if (databaseId) {
    log(`✓ D1 database ${worker.database.name} (${databaseId})`);
  } else {
    const args = ["d1", "create", worker.database.name];
    if (process.env.FAULTLINE_D1_LOCATION) args.push("--location", process.env.FAULTLINE_D1_LOCATION);
    const { stdout } = await wrangler(args);
    databaseId =
      /database_id"?\s*[=:]\s*"([0-9a-f-]{36})"/.exec(stdout)?.[1] ??
      parseJsonOutput((await wrangler(["d1", "list", "--json"])).stdout).find((d) => d.name === worker.database.name)?.uuid;
    if (!databaseId) throw new Error(`created D1 database ${worker.database.name} but could not read its id`);
    log(`+ D1 database ${worker.database.name} created (${databaseId})`);
  }
  for (const file of [join(root, "wrangler.toml"), join(root, "dashboard", "wrangler.toml")]) {
    if (recordDatabaseId(file, databaseId)) log(`  recorded its id in ${file.slice(root.length + 1)}`);
  }

  // Queues ----------------------------------------------------------------------------------------
  const queues = new Set();
  for (let page = 1; page <= MAX_QUEUE_PAGES; page++) {
    const rows = parseTable((await wrangler(["queues", "list", "--page", String(page)])).stdout);
    for (const row of rows) queues.add(row.name);
    if (rows.length === 0 || worker.queues.every((q) => queues.has(q))) break;
  }
  for (const queue of worker.queues) {
    if (queues.has(queue)) {
      log(`✓ queue ${queue}`);
    } else {
      await wrangler(["queues", "create", queue]);
      log(`+ queue ${queue} created`);
    }
  }

  // R2 --------------------------------------------------------------------------------------------
  // `r2 bucket list` shows one page of an account's buckets: a bucket missing from it may still
  // exist, which `r2 bucket create` then says with code 10004.
  const buckets = new Set(parseBucketNames((await wrangler(["r2", "bucket", "list"])).stdout));
  for (const bucket of worker.buckets) {
    if (buckets.has(bucket)) {
      log(`✓ R2 bucket ${bucket}`);
      continue;
    }
    const args = ["r2", "bucket", "create", bucket];
    const created = await wrangler(args, { allowFailure: true });
    if (created.code === 0) {
      log(`+ R2 bucket ${bucket} created`);
    } else if (/\b10004\b/.test(`${created.stderr}\n${created.stdout}`)) {
      log(`✓ R2 bucket ${bucket}`);
    } else {
      throw wranglerFailure(args, created);
    }
  }

  // Pages -----------------------------------------------------------------------------------------
  const projects = parseJsonOutput((await wrangler(["pages", "project", "list", "--json"])).stdout);
  if (projects.some((p) => p["Project Name"] === pages.name)) {
    log(`✓ Pages project ${pages.name}`);
  } else {
    const args = ["pages", "project", "create", pages.name, "--production-branch", PRODUCTION_BRANCH];
    if (pages.compatibilityDate) args.push("--compatibility-date", pages.compatibilityDate);
    await wrangler(args);
    log(`+ Pages project ${pages.name} created`);
  }
  const dashboardDir = join(root, "dashboard");
  const secrets = new Set(
    parseSecretNames((await wrangler(["pages", "secret", "list", "--project-name", pages.name], { cwd: dashboardDir })).stdout),
  );
  for (const [name, make] of Object.entries(PAGES_SECRETS)) {
    if (secrets.has(name)) {
      log(`✓ secret ${name}`);
    } else {
      await wrangler(["pages", "secret", "put", name, "--project-name", pages.name], { cwd: dashboardDir, input: make() });
      log(`+ secret ${name} set`);
    }
  }
  // A new VAPID pair only when the dashboard has none: browsers' subscriptions are tied to it. Its
  // public half goes to Pages before the deploy (a Pages secret reaches the next deployment),
  // both halves to the Worker after it (a Worker must exist to hold secrets).
  const vapid = secrets.has("VAPID_PUBLIC_KEY") ? null : newVapidKeys();
  if (vapid) {
    await wrangler(["pages", "secret", "put", "VAPID_PUBLIC_KEY", "--project-name", pages.name], {
      cwd: dashboardDir,
      input: vapid.publicKey,
    });
  }

  // Schema and first owner ------------------------------------------------------------------------
  log("Applying D1 migrations…");
  await wrangler(["d1", "migrations", "apply", "DB", "--remote"]);
  const query = async (sql) =>
    parseJsonOutput((await wrangler(["d1", "execute", "DB", "--remote", "--json", "--yes", "--command", sql])).stdout).at(-1)?.results ??
    [];
  const [state] = await query(
    "SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'instance_setup') AS setup_table",
  );
  const email = adminEmail ?? process.env.FAULTLINE_ADMIN_EMAIL ?? gitEmail(root);
  let login;
  if (Number(state?.users ?? 0) === 0 && email) {
    const password = process.env.FAULTLINE_ADMIN_PASSWORD || randomBytes(12).toString("base64url");
    await query(
      firstOwnerSql({
        email,
        passwordHash: hashPassword(password),
        publicKey: randomBytes(16).toString("hex"),
        now: Date.now(),
        setupTable: Number(state?.setup_table) > 0,
      }),
    );
    login = { email, password };
    // Shown now, not only at the end: if a later step fails, a second run finds the owner and
    // cannot show the password again.
    log(
      `+ owner ${email}, organization "Faultline", project "Default" and its DSN key created\n  Login:      ${email} / ${password}   (shown only by this run)`,
    );
  } else if (Number(state?.users ?? 0) === 0) {
    log(
      "! no owner created (no --admin-email, FAULTLINE_ADMIN_EMAIL or git user.email): the dashboard's setup form creates one — open it now, the first visitor becomes the owner",
    );
  } else if (resetAdminPassword && !email) {
    throw new Error("--reset-admin-password needs the user's email: --admin-email <email> (or FAULTLINE_ADMIN_EMAIL)");
  } else if (resetAdminPassword && email) {
    const password = process.env.FAULTLINE_ADMIN_PASSWORD || randomBytes(12).toString("base64url");
    const s = sqlString;
    const [known] = await query(`SELECT count(*) AS n FROM users WHERE email = ${s(email)}`);
    if (Number(known?.n ?? 0) === 0)
      throw new Error(`--reset-admin-password: no dashboard user has the email ${email}; name theirs with --admin-email`);
    await query(
      `UPDATE users SET password_hash = ${s(hashPassword(password))} WHERE email = ${s(email)};
       DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = ${s(email)});`,
    );
    login = { email, password };
    log(`+ new password for ${email}\n  Login:      ${email} / ${password}   (shown only by this run)`);
  } else {
    log(`✓ ${state.users} dashboard user(s)`);
  }

  // Deploy ----------------------------------------------------------------------------------------
  const deployed = await deploy({ root, skipBuild, log });
  if (vapid) {
    await wrangler(["secret", "put", "VAPID_PUBLIC_KEY"], { input: vapid.publicKey });
    await wrangler(["secret", "put", "VAPID_PRIVATE_KEY"], { input: vapid.privateKey });
    log("+ VAPID keys for push alerts made (Worker secrets VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY)");
  } else {
    const workerSecrets = new Set(parseJsonOutput((await wrangler(["secret", "list", "--format", "json"])).stdout).map((s) => s.name));
    if (workerSecrets.has("VAPID_PRIVATE_KEY")) log("✓ VAPID keys for push alerts");
    else
      log(
        `! the Worker has no VAPID_PRIVATE_KEY while the dashboard has a VAPID_PUBLIC_KEY: push alerts will fail. Delete the dashboard's (npx wrangler pages secret delete VAPID_PUBLIC_KEY --project-name ${pages.name}) and run setup again for a new pair`,
      );
  }
  const [key] = await query("SELECT project_id, public_key FROM project_keys WHERE enabled = 1 ORDER BY project_id, id LIMIT 1");
  const ingest = new URL(deployed.ingestUrl);
  const dsn = key ? `${ingest.protocol}//${key.public_key}@${ingest.host}/${key.project_id}` : undefined;

  mkdirSync(join(root, ".faultline"), { recursive: true });
  writeFileSync(
    join(root, ".faultline", "deploy.json"),
    `${JSON.stringify({ dashboardUrl: deployed.dashboardUrl, ingestUrl: deployed.ingestUrl, dsn, database: databaseId }, null, 2)}\n`,
  );
  log(`Faultline is set up.
  Dashboard:  ${deployed.dashboardUrl}
  DSN:        ${dsn ?? "(created with the first project in the dashboard)"}${login ? `\n  Login:      ${login.email} / ${login.password}   (shown only by this run)` : ""}
(URLs and DSN written to .faultline/deploy.json; \`npm run deploy\` ships later changes)
`);
  return { ...deployed, dsn, databaseId, login };
}

/** Fails early, with what to do, when wrangler has no credentials or must be told the account. */
async function checkLogin(root) {
  const who = await runWrangler(root, ["whoami", "--json"], { allowFailure: true });
  let info;
  try {
    info = parseJsonOutput(who.stdout);
  } catch {}
  if (who.code !== 0 || !info?.loggedIn) {
    throw new Error(
      "wrangler is not logged in: run `npx wrangler login`, or set CLOUDFLARE_API_TOKEN (a token with Workers, D1, Queues, R2 and Pages edit rights).",
    );
  }
  const accounts = info.accounts ?? [];
  // An account_id in wrangler.toml is what `wrangler deploy` uses, but the Pages and R2 commands
  // do not read that file: they get it from the environment, as every call here passes it on.
  const configured = readWorkerConfig(root).accountId;
  if (configured && !process.env.CLOUDFLARE_ACCOUNT_ID) process.env.CLOUDFLARE_ACCOUNT_ID = configured;
  if (accounts.length > 1 && !process.env.CLOUDFLARE_ACCOUNT_ID) {
    throw new Error(
      `these credentials reach ${accounts.length} accounts; set CLOUDFLARE_ACCOUNT_ID to one of:\n${accounts.map((a) => `  ${a.id}  ${a.name}`).join("\n")}`,
    );
  }
}

const sqlString = (s) => `'${String(s).replaceAll("'", "''")}'`;

/** The first owner, the organization, a project and its DSN key (what the dashboard's setup form creates). */
export function firstOwnerSql({ email, passwordHash, publicKey, now, setupTable }) {
  const s = sqlString;
  return `INSERT INTO organizations (slug, name, created_at) VALUES ('faultline', 'Faultline', ${now}) ON CONFLICT (slug) DO NOTHING;
INSERT INTO users (email, name, password_hash, created_at) VALUES (${s(email)}, 'Admin', ${s(passwordHash)}, ${now});
INSERT INTO memberships (organization_id, user_id, role)
  SELECT o.id, u.id, 'owner' FROM organizations o, users u WHERE o.slug = 'faultline' AND u.email = ${s(email)} ON CONFLICT DO NOTHING;
INSERT INTO projects (organization_id, slug, name, created_at)
  SELECT id, 'default', 'Default', ${now} FROM organizations WHERE slug = 'faultline' ON CONFLICT DO NOTHING;
INSERT INTO project_keys (project_id, public_key, label, created_at)
  SELECT p.id, ${s(publicKey)}, 'Default', ${now} FROM projects p JOIN organizations o ON o.id = p.organization_id
  WHERE o.slug = 'faultline' AND p.slug = 'default' AND NOT EXISTS (SELECT 1 FROM project_keys k WHERE k.project_id = p.id);${
    setupTable
      ? `\nINSERT INTO instance_setup (id, user_id, completed_at) SELECT 1, id, ${now} FROM users WHERE email = ${s(email)} ON CONFLICT DO NOTHING;`
      : ""
  }`;
}

function gitEmail(root) {
  try {
    return (
      execFileSync("git", ["config", "user.email"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() ||
      undefined
    );
  } catch {
    return undefined;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { "admin-email": { type: "string" }, "reset-admin-password": { type: "boolean" }, "skip-build": { type: "boolean" } },
  });
  setup({ adminEmail: values["admin-email"], resetAdminPassword: values["reset-admin-password"], skipBuild: values["skip-build"] }).catch(
    (err) => {
      console.error(`\nSetup failed: ${err.message}`);
      process.exit(1);
    },
  );
}
