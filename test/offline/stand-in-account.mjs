// A copy of the project in a temporary folder (its configs get rewritten by setup) and a
// Cloudflare account played by the wrangler stand-in, for setup-deploy.test.mjs.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { ROOT, wranglerEnv } from "../../scripts/local-dev.mjs";

const made = [];
process.on("exit", () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (prefix) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};

export const ACCOUNT = { name: "Acme", id: "0123456789abcdef0123456789abcdef" };
const QUEUE_NAMES = ["events", "events-dlq", "alerts", "alerts-dlq"];

/** An account with nothing of Faultline's, or (`existing`) with everything already there. */
export function accountState({ existing = false, loggedIn = true, databaseId = "7d3c0f52-5a43-4f4b-9c1e-2f0e8c2a9b11" } = {}) {
  return {
    loggedIn,
    accounts: [ACCOUNT],
    workersSubdomain: "acme",
    pagesSubdomainSuffix: "-4kq",
    nextUuid: databaseId,
    d1: existing ? [{ uuid: databaseId, name: "faultline" }] : [],
    queues: existing ? QUEUE_NAMES.map((name, i) => ({ id: `q${i}`, name })) : [],
    buckets: existing ? ["faultline-raw"] : [],
    pages: existing
      ? [
          {
            name: "faultline",
            domains: ["faultline-4kq.pages.dev"],
            productionBranch: "main",
            secrets: { SESSION_SECRET: "kept" },
            deployments: [],
          },
        ]
      : [],
  };
}

/**
 * The project's deploy-relevant files, copied; the dashboard as if already built. With
 * `dashboardSource`, the dashboard's source instead of a build, and the project's node_modules
 * linked in, so `npm run build:dashboard` builds it for real.
 */
export function copyProject({ dashboardSource = false } = {}) {
  const dir = tempDir("faultline-setup-");
  for (const path of [
    "wrangler.toml",
    "package.json",
    "migrations",
    "scripts",
    join("dashboard", "wrangler.toml"),
    join("dashboard", "package.json"),
    join("dashboard", "public"),
  ]) {
    cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  }
  if (dashboardSource) {
    for (const path of ["src", "index.html", "vite.config.ts", "tsconfig.json"])
      cpSync(join(ROOT, "dashboard", path), join(dir, "dashboard", path), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
    return dir;
  }
  mkdirSync(join(dir, "dashboard", "dist"), { recursive: true });
  writeFileSync(join(dir, "dashboard", "dist", "index.html"), "<!doctype html><title>Faultline</title>\n");
  return dir;
}

export function newAccount(state) {
  const dir = tempDir("faultline-account-");
  const file = join(dir, "state.json");
  writeFileSync(file, JSON.stringify(state, null, 2));
  return {
    dir,
    file,
    read: () => JSON.parse(readFileSync(file, "utf8")),
    update: (change) => writeFileSync(file, JSON.stringify(change(JSON.parse(readFileSync(file, "utf8"))), null, 2)),
    /** Calls since the last `clearCalls`, each `{ argv, cwd, stdin }`. */
    calls: () =>
      existsSync(join(dir, "calls.jsonl"))
        ? readFileSync(join(dir, "calls.jsonl"), "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : [],
    clearCalls: () => writeFileSync(join(dir, "calls.jsonl"), ""),
  };
}

/** Runs one of the project's scripts with the stand-in first on PATH. */
export function runScript(project, account, script, args = [], env = {}) {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(project, "scripts", script), ...args], {
      cwd: project,
      env: {
        ...process.env,
        PATH: `${join(ROOT, "test", "offline", "bin")}${delimiter}${process.env.PATH}`,
        FAULTLINE_WRANGLER: "",
        STAND_IN_STATE: account.file,
        STAND_IN_REAL_WRANGLER: join(ROOT, "node_modules", ".bin", "wrangler"),
        CLOUDFLARE_API_TOKEN: "stand-in-token",
        // No git identity to fall back on unless a test gives one.
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_CONFIG_NOSYSTEM: "1",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

/** Reads the stand-in account's D1 (a local one) with the real wrangler. */
export function queryAccountD1(project, account, sql) {
  return new Promise((done, fail) => {
    const child = spawn(
      join(ROOT, "node_modules", ".bin", "wrangler"),
      ["d1", "execute", "DB", "--local", "--persist-to", join(account.dir, "d1"), "--json", "--command", sql],
      {
        cwd: project,
        env: wranglerEnv,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("close", (code) => (code === 0 ? done(JSON.parse(out).at(-1).results) : fail(new Error(err || out))));
  });
}

/** A call's command words and flags, without the values that vary. */
export const commandOf = (call) => call.argv.filter((a) => !/^[0-9a-f-]{36}$/.test(a)).join(" ");
