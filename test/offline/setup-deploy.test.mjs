// `npm run setup` and `npm run deploy` against a stand-in wrangler (test/offline/bin/wrangler)
// that plays a Cloudflare account: every call is recorded and checked, D1 runs for real on a
// local database. A missing step, a wrong order or a flag wrangler does not have fails here.
import assert from "node:assert/strict";
import { pbkdf2Sync } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readTomlSections, recordDatabaseId } from "../../scripts/deploy-config.mjs";
import { ingestUrlFromTargets, wranglerCommand } from "../../scripts/wrangler-cli.mjs";
import { accountState, commandOf, copyProject, newAccount, queryAccountD1, runScript } from "./stand-in-account.mjs";

const DATABASE_ID = "7d3c0f52-5a43-4f4b-9c1e-2f0e8c2a9b11";
const WORKERS_URL = "https://faultline.acme.workers.dev";
const DASHBOARD_URL = "https://faultline-4kq.pages.dev";

const databaseIdIn = (file) =>
  readTomlSections(readFileSync(file, "utf8")).find((s) => s.header === "[[d1_databases]]")?.values.database_id;
const hasDashboardUrlVar = (project) =>
  "DASHBOARD_URL" in
  (readTomlSections(readFileSync(join(project, "wrangler.toml"), "utf8")).find((s) => s.header === "[vars]")?.values ?? {});
const ok = (result) => assert.equal(result.code, 0, `exit ${result.code}\n${result.stdout}\n${result.stderr}`);

/** The position of the first call matching `pattern`, which must exist. */
function position(calls, pattern) {
  const at = calls.findIndex((c) => pattern.test(commandOf(c)));
  assert.ok(at >= 0, `no call matching ${pattern} in:\n${calls.map(commandOf).join("\n")}`);
  return at;
}

function passwordMatches(password, stored) {
  const [scheme, iterations, salt, hash] = stored.split("$");
  assert.equal(scheme, "pbkdf2_sha256");
  return pbkdf2Sync(password, Buffer.from(salt, "base64"), Number(iterations), 32, "sha256").toString("base64") === hash;
}

describe("setup and deploy on an account with nothing of Faultline's", { concurrency: false }, () => {
  const project = copyProject();
  const account = newAccount(accountState());
  let first;

  test("setup creates every resource, records the database id, migrates, creates the owner and deploys", async () => {
    const result = await runScript(project, account, "setup.mjs", ["--skip-build"], { FAULTLINE_ADMIN_EMAIL: "owner@example.com" });
    ok(result);
    const calls = account.calls();
    const commands = calls.map(commandOf);

    // Found what exists first, then created only what was missing.
    for (const pattern of [
      /^whoami --json$/,
      /^d1 list --json$/,
      /^queues list --page 1$/,
      /^r2 bucket list$/,
      /^pages project list --json$/,
    ])
      position(calls, pattern);
    assert.ok(commands.includes("d1 create faultline"));
    assert.deepEqual(commands.filter((c) => c.startsWith("queues create")).sort(), [
      "queues create alerts",
      "queues create alerts-dlq",
      "queues create events",
      "queues create events-dlq",
    ]);
    assert.ok(commands.includes("r2 bucket create faultline-raw"));
    assert.ok(commands.includes("pages project create faultline --production-branch main --compatibility-date 2026-05-01"));

    // The id is where wrangler reads it, in both configs (the stand-in refuses D1 and deploy
    // calls that name another id, so it was recorded before the first of them).
    assert.equal(databaseIdIn(join(project, "wrangler.toml")), DATABASE_ID);
    assert.equal(databaseIdIn(join(project, "dashboard", "wrangler.toml")), DATABASE_ID);

    // Migrations before the first query, all remote.
    assert.ok(position(calls, /^d1 migrations apply DB --remote$/) < position(calls, /^d1 execute DB --remote/));
    for (const c of calls.filter((c) => c.argv[0] === "d1" && c.argv[1] !== "list" && c.argv[1] !== "create"))
      assert.ok(c.argv.includes("--remote"), commandOf(c));

    // Secrets went through stdin, from the dashboard's folder (where its Pages config is).
    const state = account.read();
    const pages = state.pages[0];
    assert.ok(pages.secrets.SESSION_SECRET.length >= 32);
    assert.equal(pages.secrets.INGEST_URL, WORKERS_URL);
    // One VAPID pair for push alerts: the dashboard has its public half, the Worker both.
    assert.match(pages.secrets.VAPID_PUBLIC_KEY, /^B[A-Za-z0-9_-]{86}$/);
    assert.equal(state.worker.secrets.VAPID_PUBLIC_KEY, pages.secrets.VAPID_PUBLIC_KEY);
    assert.match(state.worker.secrets.VAPID_PRIVATE_KEY, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(pages.deployments.at(-1).secrets.VAPID_PUBLIC_KEY, pages.secrets.VAPID_PUBLIC_KEY, "the deployment has it");
    for (const c of calls.filter((c) => c.argv[0] === "pages" && c.argv[1] !== "project"))
      assert.equal(c.cwd, join(project, "dashboard"), commandOf(c));

    // Deployed: migrations, then the Worker with its cron trigger, then the INGEST_URL the
    // dashboard needs, then the dashboard itself on the production branch.
    const deployAt = position(calls, /^deploy\b/);
    assert.ok(position(calls, /^pages secret put INGEST_URL/) > deployAt);
    assert.ok(
      position(calls, /^pages deploy dist --project-name faultline --branch main --commit-dirty=true$/) >
        position(calls, /^pages secret put INGEST_URL/),
    );
    assert.deepEqual(state.worker.crons, ["17 * * * *", "* * * * *"]);
    if (hasDashboardUrlVar(project)) assert.deepEqual(state.worker.vars, [`DASHBOARD_URL:${DASHBOARD_URL}`]);
    assert.equal(pages.deployments[0].branch, "main");
    assert.equal(pages.deployments[0].directory, join(project, "dashboard", "dist"));

    // The first owner, hashed like the dashboard checks passwords, and a DSN for their project.
    const login = /Login:\s+owner@example\.com \/ (\S+)/.exec(result.stdout);
    assert.ok(login, result.stdout);
    const [user] = await queryAccountD1(project, account, "SELECT email, password_hash FROM users");
    assert.equal(user.email, "owner@example.com");
    assert.ok(passwordMatches(login[1], user.password_hash));
    const [owner] = await queryAccountD1(project, account, "SELECT role FROM memberships");
    assert.equal(owner.role, "owner");
    const dsn = /DSN:\s+(\S+)/.exec(result.stdout)?.[1];
    const [key] = await queryAccountD1(project, account, "SELECT public_key, project_id FROM project_keys");
    assert.equal(dsn, `https://${key.public_key}@faultline.acme.workers.dev/${key.project_id}`);
    assert.match(result.stdout, new RegExp(`Dashboard:\\s+${DASHBOARD_URL}`));
    assert.equal(JSON.parse(readFileSync(join(project, ".faultline", "deploy.json"), "utf8")).dsn, dsn);
    first = { dsn, password: login[1] };
  });

  test("setup run again creates nothing, keeps the secret and the owner, prints the same DSN", async () => {
    account.clearCalls();
    const result = await runScript(project, account, "setup.mjs", ["--skip-build"], { FAULTLINE_ADMIN_EMAIL: "owner@example.com" });
    ok(result);
    const commands = account.calls().map(commandOf);
    assert.deepEqual(
      commands.filter((c) => / create /.test(c) || c.startsWith("pages secret put SESSION_SECRET")),
      [],
    );
    assert.doesNotMatch(result.stdout, /Login:/);
    assert.equal(/DSN:\s+(\S+)/.exec(result.stdout)?.[1], first.dsn);
    assert.equal((await queryAccountD1(project, account, "SELECT count(*) AS n FROM users"))[0].n, 1);
  });

  test("setup --reset-admin-password gives the owner a new password and ends their sessions", async () => {
    const [{ id: ownerId }] = await queryAccountD1(project, account, "SELECT id FROM users WHERE email = 'owner@example.com'");
    const now = Date.now();
    await queryAccountD1(
      project,
      account,
      `INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES ('${"a".repeat(64)}', ${ownerId}, ${now}, ${now + 3_600_000})`,
    );
    account.clearCalls();
    const result = await runScript(project, account, "setup.mjs", ["--skip-build", "--reset-admin-password"], {
      FAULTLINE_ADMIN_EMAIL: "owner@example.com",
    });
    ok(result);
    const login = /Login:\s+owner@example\.com \/ (\S+)/.exec(result.stdout);
    assert.ok(login, result.stdout);
    assert.notEqual(login[1], first.password);
    const [user] = await queryAccountD1(project, account, "SELECT password_hash FROM users WHERE email = 'owner@example.com'");
    assert.ok(passwordMatches(login[1], user.password_hash));
    assert.ok(!passwordMatches(first.password, user.password_hash));
    assert.equal((await queryAccountD1(project, account, `SELECT count(*) AS n FROM sessions WHERE user_id = ${ownerId}`))[0].n, 0);
    // Still one owner, and nothing created.
    assert.equal((await queryAccountD1(project, account, "SELECT count(*) AS n FROM users"))[0].n, 1);
    assert.deepEqual(
      account
        .calls()
        .map(commandOf)
        .filter((c) => / create /.test(c)),
      [],
    );
  });

  test("deploy ships the Worker and the dashboard, in that order, and prints the URLs", async () => {
    account.clearCalls();
    const result = await runScript(project, account, "deploy.mjs", ["--skip-build"]);
    ok(result);
    const dashboardUrlVar = hasDashboardUrlVar(project) ? ` --var DASHBOARD_URL:${DASHBOARD_URL}` : "";
    assert.deepEqual(account.calls().map(commandOf), [
      "pages project list --json",
      "d1 migrations apply DB --remote",
      `deploy${dashboardUrlVar}`,
      "pages secret put INGEST_URL --project-name faultline",
      "pages deploy dist --project-name faultline --branch main --commit-dirty=true",
    ]);
    assert.match(result.stdout, new RegExp(`Dashboard:\\s+${DASHBOARD_URL}`));
    assert.match(result.stdout, new RegExp(`Ingest:\\s+${WORKERS_URL}`));
  });

  test("deploy prefers the Worker's custom domain for INGEST_URL", async () => {
    account.update((s) => ({ ...s, customDomain: "errors.example.com" }));
    const result = await runScript(project, account, "deploy.mjs", ["--skip-build"]);
    ok(result);
    assert.equal(account.read().pages[0].secrets.INGEST_URL, "https://errors.example.com");
    account.update((s) => ({ ...s, customDomain: undefined }));
  });

  test("deploy refuses a dashboard bound to another R2 bucket than the Worker's, before deploying anything", async () => {
    const config = join(project, "dashboard", "wrangler.toml");
    const kept = readFileSync(config, "utf8");
    assert.match(kept, /^bucket_name = "faultline-raw"$/m);
    writeFileSync(config, kept.replace('bucket_name = "faultline-raw"', 'bucket_name = "faultline-maps"'));
    account.clearCalls();
    try {
      const result = await runScript(project, account, "deploy.mjs", ["--skip-build"]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /dashboard\/wrangler.toml binds R2 bucket faultline-maps, which the Worker does not \(faultline-raw\)/);
      assert.deepEqual(account.calls(), []);
    } finally {
      writeFileSync(config, kept);
    }
  });

  test("deploy stops at the first failing step and says why", async () => {
    account.update((s) => ({ ...s, fail: { deploy: "Authentication error [code: 10000]" } }));
    account.clearCalls();
    const result = await runScript(project, account, "deploy.mjs", ["--skip-build"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Authentication error \[code: 10000\]/);
    assert.ok(!account.calls().some((c) => c.argv[0] === "pages" && c.argv[1] === "deploy"));
    account.update((s) => ({ ...s, fail: undefined }));
  });
});

describe("deploy builds the dashboard", { concurrency: false }, () => {
  /** A project with the dashboard's source and no build, set up on an account that has everything. */
  function projectToBuild() {
    const project = copyProject({ dashboardSource: true });
    for (const file of [join(project, "wrangler.toml"), join(project, "dashboard", "wrangler.toml")]) recordDatabaseId(file, DATABASE_ID);
    return project;
  }

  test("first, and uploads what it built", async () => {
    const project = projectToBuild();
    const dist = join(project, "dashboard", "dist");
    assert.ok(!existsSync(dist));
    const account = newAccount(accountState({ existing: true }));
    const result = await runScript(project, account, "deploy.mjs");
    ok(result);
    assert.match(result.stdout, /Building the dashboard…/);
    // Vite's build, not the source page: its script is a hashed bundle under /assets/.
    const built = readFileSync(join(dist, "index.html"), "utf8");
    assert.match(built, /<script type="module"[^>]* src="\/assets\/[^"]+\.js"/);
    assert.doesNotMatch(built, /src\/main\.tsx/);
    const [deployment] = account.read().pages[0].deployments;
    assert.equal(deployment.directory, dist);
  });

  test("before anything ships: a failing build stops the deploy", async () => {
    const project = projectToBuild();
    writeFileSync(join(project, "dashboard", "src", "main.tsx"), "const broken: number = 'not a number';\n");
    const account = newAccount(accountState({ existing: true }));
    const result = await runScript(project, account, "deploy.mjs");
    assert.equal(result.code, 1);
    assert.match(result.stderr, /build:dashboard failed/);
    const commands = account.calls().map(commandOf);
    assert.ok(
      !commands.some((c) => c === "deploy" || c.startsWith("deploy ") || c.startsWith("pages deploy") || c.startsWith("d1 migrations")),
      commands.join("\n"),
    );
  });
});

describe("setup on an account that already has everything", { concurrency: false }, () => {
  test("records the existing database's id and creates nothing", async () => {
    const project = copyProject();
    const account = newAccount(accountState({ existing: true }));
    const result = await runScript(project, account, "setup.mjs", ["--skip-build", "--admin-email", "ops@example.com"]);
    ok(result);
    const commands = account.calls().map(commandOf);
    assert.deepEqual(
      commands.filter((c) => / create /.test(c)),
      [],
    );
    assert.ok(!commands.some((c) => c.startsWith("pages secret put SESSION_SECRET")));
    assert.equal(databaseIdIn(join(project, "wrangler.toml")), DATABASE_ID);
    assert.equal(databaseIdIn(join(project, "dashboard", "wrangler.toml")), DATABASE_ID);
    assert.match(result.stdout, /Login:\s+ops@example\.com \//);
    assert.equal(account.read().pages[0].secrets.SESSION_SECRET, "kept");
  });

  test("without an owner's email, leaves the dashboard's setup form and creates no user", async () => {
    const project = copyProject();
    const account = newAccount(accountState({ existing: true }));
    const result = await runScript(project, account, "setup.mjs", ["--skip-build"]);
    ok(result);
    assert.match(result.stdout, /setup form/);
    assert.equal((await queryAccountD1(project, account, "SELECT count(*) AS n FROM users"))[0].n, 0);
    assert.match(result.stdout, /DSN:\s+\(created with the first project/);
  });
});

describe("setup when a step fails or finds what it cannot list", { concurrency: false }, () => {
  test("takes a bucket missing from the first page of `r2 bucket list`, and shows the owner's password before a later step fails", async () => {
    const project = copyProject();
    const account = newAccount({
      ...accountState(),
      unlistedBuckets: ["faultline-raw"],
      fail: { deploy: "You need to register a workers.dev subdomain before publishing to workers.dev" },
    });
    const result = await runScript(project, account, "setup.mjs", ["--skip-build"], { FAULTLINE_ADMIN_EMAIL: "owner@example.com" });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /✓ R2 bucket faultline-raw/);
    // A second run finds the owner and cannot show the password again: this run must have.
    const login = /Login:\s+owner@example\.com \/ (\S+)/.exec(result.stdout);
    assert.ok(login, result.stdout);
    const [user] = await queryAccountD1(project, account, "SELECT password_hash FROM users WHERE email = 'owner@example.com'");
    assert.ok(passwordMatches(login[1], user.password_hash));
  });

  test("an account_id in wrangler.toml reaches the Pages and R2 commands too, when the credentials see several accounts", async () => {
    const project = copyProject();
    const config = join(project, "wrangler.toml");
    writeFileSync(config, `account_id = "b2"\n${readFileSync(config, "utf8")}`);
    const account = newAccount({
      ...accountState(),
      accounts: [
        { name: "Acme", id: "a1" },
        { name: "Other", id: "b2" },
      ],
    });
    ok(
      await runScript(project, account, "setup.mjs", ["--skip-build"], {
        CLOUDFLARE_ACCOUNT_ID: "",
        FAULTLINE_ADMIN_EMAIL: "owner@example.com",
      }),
    );
  });

  test("--reset-admin-password refuses an email that no user has, instead of printing a password that opens nothing", async () => {
    const project = copyProject();
    const account = newAccount(accountState());
    ok(await runScript(project, account, "setup.mjs", ["--skip-build"], { FAULTLINE_ADMIN_EMAIL: "owner@example.com" }));
    const result = await runScript(project, account, "setup.mjs", [
      "--skip-build",
      "--reset-admin-password",
      "--admin-email",
      "someone.else@example.com",
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no dashboard user has the email someone\.else@example\.com/);
    assert.doesNotMatch(result.stdout, /Login:/);
  });
});

describe("ingestUrlFromTargets", () => {
  test("takes a custom domain whether or not its route names a zone, before workers.dev", () => {
    const workersDev = "https://faultline.acme.workers.dev";
    for (const custom of [
      "errors.acme.com (custom domain)",
      "errors.acme.com (custom domain - zone name: acme.com)",
      "errors.acme.com (custom domain - zone id: 0123abcd)",
    ]) {
      assert.equal(ingestUrlFromTargets([workersDev, custom, "schedule: 17 * * * *"]), "https://errors.acme.com", custom);
    }
    assert.equal(ingestUrlFromTargets([workersDev, "acme.com/api/* (zone name: acme.com)"]), workersDev);
  });
});

describe("wranglerCommand", () => {
  test("on Windows runs wrangler's own script with this Node, which needs no shell", () => {
    const { command, args } = wranglerCommand("C:\\faultline", { PATH: "" }, "win32");
    assert.equal(command, process.execPath);
    assert.deepEqual(args, [join("C:\\faultline", "node_modules", "wrangler", "bin", "wrangler.js")]);
    assert.deepEqual(wranglerCommand("/srv/faultline", { FAULTLINE_WRANGLER: "/opt/wrangler" }, "linux"), {
      command: "/opt/wrangler",
      args: [],
    });
  });
});

describe("setup's options", () => {
  test("FAULTLINE_D1_LOCATION is the new database's location hint", async () => {
    const project = copyProject();
    // Stop right after the database, which is all this test is about.
    const account = newAccount({ ...accountState(), fail: { "queues list": "stopped by the test" } });
    const result = await runScript(project, account, "setup.mjs", ["--skip-build"], { FAULTLINE_D1_LOCATION: "weur" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /stopped by the test/);
    assert.ok(account.calls().map(commandOf).includes("d1 create faultline --location weur"));
    assert.equal(databaseIdIn(join(project, "wrangler.toml")), DATABASE_ID);
  });
});

describe("setup and deploy refuse to start without what they need", () => {
  test("setup without credentials says how to log in and touches nothing", async () => {
    const project = copyProject();
    const account = newAccount(accountState({ loggedIn: false }));
    const result = await runScript(project, account, "setup.mjs", ["--skip-build"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /wrangler login/);
    assert.match(result.stderr, /CLOUDFLARE_API_TOKEN/);
    assert.deepEqual(account.calls().map(commandOf), ["whoami --json"]);
  });

  test("setup asks which account when the credentials reach several", async () => {
    const project = copyProject();
    const account = newAccount({
      ...accountState(),
      accounts: [
        { name: "Acme", id: "a1" },
        { name: "Other", id: "b2" },
      ],
    });
    const result = await runScript(project, account, "setup.mjs", ["--skip-build"], { CLOUDFLARE_ACCOUNT_ID: "" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /CLOUDFLARE_ACCOUNT_ID/);
    assert.match(result.stderr, /b2\s+Other/);
  });

  test("deploy before setup points at setup", async () => {
    const project = copyProject();
    const account = newAccount(accountState());
    const result = await runScript(project, account, "deploy.mjs", ["--skip-build"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /npm run setup/);
    assert.deepEqual(account.calls(), []);
  });
});
