// Running Faultline locally on wrangler's embedded workerd: migrations, seed data, Worker and
// dashboard processes. Used by `npm start`, the end-to-end tests and the benchmarks.
import { spawn, execFile } from "node:child_process";
import { createHash, generateKeyPairSync, pbkdf2Sync, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
// Must match wrangler.toml so the Worker and the dashboard share one local D1.
export const DATABASE_ID = "00000000-0000-4000-8000-00000000fa17";

/** Keeps wrangler offline and quiet (no telemetry, no cf.json download, no prompts). */
export const wranglerEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  CI: "true",
  NO_COLOR: "1",
};

const run = promisify(execFile);

export async function wrangler(args, options = {}) {
  return run(WRANGLER, args, { cwd: ROOT, env: wranglerEnv, maxBuffer: 64 * 1024 * 1024, ...options });
}

export async function applyMigrations(persistTo) {
  await wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo]);
}

/**
 * Runs SQL against the local D1 and returns the rows of the last statement. While a running
 * Worker commits to the same SQLite file, wrangler's own process can meet its lock
 * (SQLITE_BUSY, nothing done): it tries again, a few times.
 */
export async function queryLocalD1(persistTo, sql) {
  for (let attempt = 1; ; attempt++) {
    try {
      const { stdout } = await wrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--json", "--command", sql]);
      const results = JSON.parse(stdout);
      return results.at(-1)?.results ?? [];
    } catch (err) {
      const busy = /SQLITE_BUSY|database is locked/.test(`${err.message} ${err.stdout ?? ""} ${err.stderr ?? ""}`);
      if (!busy || attempt === 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

export function hashPassword(password, iterations = 100_000) {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  return `pbkdf2_sha256$${iterations}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export function sha256Hex(value) {
  return createHash("sha256").update(value).digest("hex");
}

const sqlString = (s) => `'${String(s).replaceAll("'", "''")}'`;

/**
 * Seeds (idempotently) the default organization, project, DSN key, admin and API token.
 * Secrets come from `state` when given, so a second run keeps the same DSN and login.
 */
export async function seed(persistTo, state = {}) {
  const secrets = {
    publicKey: state.publicKey ?? randomBytes(16).toString("hex"),
    password: state.password ?? randomBytes(12).toString("base64url"),
    apiToken: state.apiToken ?? `flt_${randomBytes(24).toString("hex")}`,
    email: state.email ?? "admin@faultline.local",
    rateLimitPerMinute: state.rateLimitPerMinute ?? null,
  };
  const now = Date.now();
  const sql = `
INSERT INTO organizations (id, slug, name, created_at) VALUES (1, 'faultline', 'Faultline', ${now}) ON CONFLICT(id) DO NOTHING;
INSERT INTO projects (id, organization_id, slug, name, platform, created_at) VALUES (1, 1, 'default', 'Default', 'javascript', ${now}) ON CONFLICT(id) DO NOTHING;
INSERT INTO project_keys (id, project_id, public_key, label, rate_limit_per_minute, created_at) VALUES (1, 1, ${sqlString(secrets.publicKey)}, 'Default', ${secrets.rateLimitPerMinute ?? "NULL"}, ${now})
  ON CONFLICT(id) DO UPDATE SET public_key = excluded.public_key, enabled = 1, rate_limit_per_minute = excluded.rate_limit_per_minute;
INSERT INTO users (id, email, name, password_hash, created_at) VALUES (1, ${sqlString(secrets.email)}, 'Admin', ${sqlString(hashPassword(secrets.password))}, ${now})
  ON CONFLICT(id) DO UPDATE SET email = excluded.email, password_hash = excluded.password_hash;
INSERT INTO memberships (organization_id, user_id, role) VALUES (1, 1, 'owner') ON CONFLICT DO NOTHING;
INSERT INTO api_tokens (id, organization_id, user_id, label, token_hash, created_at) VALUES (1, 1, 1, 'Local development', ${sqlString(sha256Hex(secrets.apiToken))}, ${now})
  ON CONFLICT(id) DO UPDATE SET token_hash = excluded.token_hash, revoked_at = NULL;
`;
  mkdirSync(persistTo, { recursive: true });
  const file = join(persistTo, "seed.sql");
  writeFileSync(file, sql);
  await wrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--file", file]);
  return secrets;
}

/** Starts a long-running wrangler command and resolves once `readyUrl` answers. */
export async function startProcess(args, { cwd = ROOT, readyUrl, timeoutMs = 60_000, label = "wrangler", quiet = true } = {}) {
  const child = spawn(WRANGLER, args, { cwd, env: wranglerEnv, stdio: ["ignore", "pipe", "pipe"], detached: process.platform !== "win32" });
  let output = "";
  const capture = (chunk) => {
    output = (output + chunk.toString()).slice(-200_000);
    if (!quiet) process.stdout.write(chunk);
  };
  child.stdout.on("data", capture);
  child.stderr.on("data", capture);
  const stop = () =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once("exit", () => done());
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        child.kill("SIGTERM");
      }
      setTimeout(() => {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {}
        done();
      }, 5_000).unref();
    });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${label} exited early:\n${output}`);
    // Whoever answers then is another server: fail now rather than test against it.
    if (output.includes("Address already in use")) {
      await stop();
      throw new Error(`${label} could not listen for ${readyUrl}:\n${output}`);
    }
    try {
      const res = await fetch(readyUrl);
      await res.arrayBuffer();
      if (res.status < 500) break;
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${label} did not become ready at ${readyUrl}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, stop, output: () => output };
}

/** The cron triggers of wrangler.toml (`[triggers] crons = [...]`), as production runs them. */
export function wranglerCrons() {
  const match = /^crons\s*=\s*(\[.*\])\s*$/m.exec(readFileSync(join(ROOT, "wrangler.toml"), "utf8"));
  return match ? JSON.parse(match[1]) : [];
}

/**
 * `wrangler dev` never fires cron triggers: this calls the Worker's scheduled handler on each
 * trigger's schedule (in UTC, as Cloudflare runs them), the way production's triggers would:
 * every minute for cron monitors, every hour for retention. `at` fires one at a chosen time.
 */
export function fireCronTriggers({ port, crons = wranglerCrons(), log = () => {} }) {
  const fire = async (cron, time) => {
    const query = new URLSearchParams({ cron, ...(time === undefined ? {} : { time: String(time) }) });
    try {
      const res = await fetch(`http://127.0.0.1:${port}/cdn-cgi/handler/scheduled?${query}`);
      const text = await res.text();
      if (!res.ok) log(`scheduled handler (${cron}) answered ${res.status}: ${text.slice(0, 500)}`);
      return res.status;
    } catch (err) {
      log(`scheduled handler (${cron}) unreachable: ${err.message}`);
      return 0;
    }
  };
  // croner is loaded here rather than at the top: `npm run setup` and `npm run deploy` import this
  // module too, and must run from a checkout whose scripts are all they have.
  let jobs = [];
  let stopped = false;
  const ready = import("croner").then(({ Cron }) => {
    // protect: a run still going when the next is due is not started twice.
    if (!stopped) jobs = crons.map((cron) => new Cron(cron, { timezone: "UTC", protect: true }, () => fire(cron)));
  });
  return {
    crons,
    ready,
    at: (cron, time) => fire(cron, time),
    stop: () => {
      stopped = true;
      jobs.forEach((job) => job.stop());
    },
  };
}

/** The Worker (ingest and queue consumers) under `wrangler dev`. */
export function startWorker({ port = 8787, persistTo, vars = {}, quiet = true } = {}) {
  const args = [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    persistTo,
    "--inspector-port",
    "0",
    "--log-level",
    quiet ? "warn" : "info",
  ];
  const vapid = localVapidKeys(persistTo);
  // Local development only: uptime monitors may watch servers on this machine (never set by a deploy).
  const all = { VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, UPTIME_ALLOW_PRIVATE_TARGETS: "1", ...vars };
  for (const [k, v] of Object.entries(all)) args.push("--var", `${k}:${v}`);
  return startProcess(args, { readyUrl: `http://127.0.0.1:${port}/health`, label: "wrangler dev", quiet });
}

/** A new VAPID key pair (RFC 8292) for push alerts, base64url: the raw public point and the private scalar. */
export function newVapidKeys() {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const jwk = privateKey.export({ format: "jwk" });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]);
  return { publicKey: point.toString("base64url"), privateKey: jwk.d };
}

/**
 * The local install's VAPID key pair (Worker secrets in production): made once per state folder
 * and kept there, since browsers' subscriptions are tied to the public key.
 */
export function localVapidKeys(persistTo) {
  const file = join(persistTo, "vapid-keys.json");
  const kept = existsSync(file) ? readJson(file) : null;
  if (kept?.publicKey && kept?.privateKey) return kept;
  mkdirSync(persistTo, { recursive: true });
  const keys = newVapidKeys();
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

/** Builds the dashboard's single-page app into dashboard/dist, which startDashboard serves. */
export async function buildDashboard() {
  await run(join(ROOT, "node_modules", ".bin", "vite"), ["build", "dashboard", "--logLevel", "warn"], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
}

/**
 * The key that signs the local dashboard's session cookies (SESSION_SECRET, a Pages secret in
 * production): made once per state folder and kept there, so restarting keeps everyone logged in.
 */
export function localSessionSecret(persistTo) {
  const file = join(persistTo, "session-secret");
  const kept = existsSync(file) ? readFileSync(file, "utf8").trim() : "";
  if (kept !== "") return kept;
  // Missing, or emptied: a new one (which ends the local sessions, as a new secret does).
  mkdirSync(persistTo, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/**
 * The dashboard under `wrangler pages dev`, sharing the Worker's local D1 and R2, with the state
 * folder's session secret. `ingestUrl` is where the Worker listens, so the DSNs the dashboard
 * shows point at it.
 */
export function startDashboard({ port = 8788, persistTo, ingestUrl, quiet = true } = {}) {
  const dashboard = join(ROOT, "dashboard");
  const assets = existsSync(join(dashboard, "dist", "index.html")) ? "dist" : "public";
  const args = [
    "pages",
    "dev",
    assets,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    resolve(persistTo),
    "--d1",
    `DB=${DATABASE_ID}`,
    // The Worker's bucket, shared through the state folder: uploaded source maps reach the digest.
    "--r2",
    "RAW=faultline-raw",
    "--inspector-port",
    "0",
    "--compatibility-date",
    "2026-05-01",
  ];
  args.push("--binding", `SESSION_SECRET=${localSessionSecret(persistTo)}`);
  if (ingestUrl !== undefined) args.push("--binding", `INGEST_URL=${ingestUrl}`);
  args.push("--binding", `VAPID_PUBLIC_KEY=${localVapidKeys(persistTo).publicKey}`);
  args.push("--binding", "UPTIME_ALLOW_PRIVATE_TARGETS=1");
  return startProcess(args, { cwd: dashboard, readyUrl: `http://127.0.0.1:${port}/`, label: "wrangler pages dev", quiet });
}

// Ports this process has handed out: a server may not have bound one yet when the next is asked for.
const handedOut = new Set();

/**
 * A port nobody listens on, chosen below the kernel's ephemeral range (Linux: 32768-60999). A
 * port the kernel handed out for `listen(0)` is handed out again to the next process that asks,
 * and wrangler's runtime asks for several: two servers started side by side could then meet on
 * one port, and the readiness check would be answered by the wrong one.
 */
export async function freePort() {
  const net = await import("node:net");
  const taken = (port) =>
    new Promise((done) => {
      const server = net.createServer();
      server.unref();
      server.once("error", () => done(true));
      server.listen(port, "127.0.0.1", () => server.close(() => done(false)));
    });
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!handedOut.has(port) && !(await taken(port))) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("no free port between 20000 and 32000");
}

export function readJson(path) {
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : null;
}

/**
 * The Worker under `wrangler dev` with the `events` queue consumer left out: what ingest alone
 * costs, for benchmarks. Accepted messages stay in the local queue until the process exits.
 */
export function startWorkerWithoutEventsConsumer({ port = 8787, persistTo, quiet = true } = {}) {
  const config = readFileSync(join(ROOT, "wrangler.toml"), "utf8")
    // Paths in a config resolve against its folder; this copy lives in `persistTo`.
    .replace(/^(main|migrations_dir)\s*=\s*"([^"]+)"/gm, (_m, key, path) => `${key} = ${JSON.stringify(resolve(ROOT, path))}`)
    .split(/^(?=\[)/m)
    .filter((section) => !(section.startsWith("[[queues.consumers]]") && /^queue\s*=\s*"events"\s*$/m.test(section)))
    .join("");
  mkdirSync(persistTo, { recursive: true });
  const configPath = join(persistTo, "wrangler-without-events-consumer.toml");
  writeFileSync(configPath, config);
  const args = [
    "dev",
    "--config",
    configPath,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    persistTo,
    "--inspector-port",
    "0",
    "--log-level",
    quiet ? "warn" : "info",
  ];
  return startProcess(args, { readyUrl: `http://127.0.0.1:${port}/health`, label: "wrangler dev", quiet });
}
