// Running wrangler for `npm run setup` and `npm run deploy`, and reading what it prints.
// Wrangler is found through FAULTLINE_WRANGLER, else the first `wrangler` on PATH (`npm run`
// puts node_modules/.bin there), else node_modules/.bin: a stand-in earlier on PATH wins, which
// is how test/offline/ checks every call without an account.
import { spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export function wranglerCommand(root, env = process.env, platform = process.platform) {
  if (env.FAULTLINE_WRANGLER) return { command: env.FAULTLINE_WRANGLER, args: [] };
  // Windows spawns neither node_modules/.bin's shell shim nor (Node 20.12 on) its .cmd without a
  // shell, which would parse the SQL and secrets in the arguments again: wrangler's own script
  // runs with this Node instead.
  if (platform === "win32") return { command: process.execPath, args: [join(root, "node_modules", "wrangler", "bin", "wrangler.js")] };
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, "wrangler"), constants.X_OK);
      return { command: join(dir, "wrangler"), args: [] };
    } catch {}
  }
  return { command: join(root, "node_modules", ".bin", "wrangler"), args: [] };
}

/**
 * Runs one wrangler command and resolves with what it printed. A failure rejects with the
 * command and wrangler's own words, unless `allowFailure`. `input` goes to stdin (secrets), and
 * stdin is closed either way, so wrangler never waits for a prompt answer.
 */
export function runWrangler(root, args, { cwd = root, input = "", allowFailure = false, env = {} } = {}) {
  const { command, args: first } = wranglerCommand(root);
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...first, ...args], {
      cwd,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", (err) => reject(new Error(`could not run ${command}: ${err.message}`)));
    child.on("close", (code) => {
      const result = { code: code ?? 1, stdout, stderr };
      if (result.code === 0 || allowFailure) return resolve(result);
      reject(wranglerFailure(args, result));
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

/** The error for a wrangler command that failed: the command and the last of wrangler's own words. */
export function wranglerFailure(args, { code, stdout, stderr }) {
  const said = `${stderr}\n${stdout}`.trim().split("\n").slice(-15).join("\n");
  return new Error(`wrangler ${args.join(" ")} failed (exit ${code}):\n${said}`);
}

/**
 * Runs a wrangler command that reports its results in WRANGLER_OUTPUT_FILE_PATH (deploy and
 * pages deploy write one JSON object per line there) and returns those entries with the output.
 */
export async function runWranglerWithOutputFile(root, args, options = {}) {
  const dir = mkdtempSync(join(tmpdir(), "faultline-wrangler-"));
  const file = join(dir, "output.jsonl");
  try {
    const result = await runWrangler(root, args, { ...options, env: { ...options.env, WRANGLER_OUTPUT_FILE_PATH: file } });
    let entries = [];
    try {
      entries = readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line));
    } catch {}
    return { ...result, entries };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The JSON a `--json` command printed (anything wrangler logged before it is skipped). */
export function parseJsonOutput(stdout) {
  const start = stdout.search(/^\s*[[{]/m);
  if (start < 0) throw new Error(`expected JSON from wrangler, got:\n${stdout.slice(0, 500)}`);
  return JSON.parse(stdout.slice(start));
}

/** The rows of a table wrangler draws (`queues list`), as objects keyed by the header row. */
export function parseTable(stdout) {
  const rows = stdout
    .split("\n")
    .filter((line) => line.startsWith("│"))
    .map((line) =>
      line
        .split("│")
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  const [head, ...body] = rows;
  if (!head) return [];
  return body.map((cells) => Object.fromEntries(head.map((name, i) => [name, cells[i] ?? ""])));
}

/** Bucket names from `r2 bucket list` ("name: …" / "creation_date: …" blocks). */
export function parseBucketNames(stdout) {
  return [...stdout.matchAll(/^name:\s+(\S+)\s*$/gm)].map((m) => m[1]);
}

/** Secret names from `pages secret list` ("  - NAME: Value Encrypted"). */
export function parseSecretNames(stdout) {
  return [...stdout.matchAll(/^\s+- ([A-Za-z_][A-Za-z0-9_]*):/gm)].map((m) => m[1]);
}

/**
 * Where a deployed Worker answers, from `wrangler deploy`'s targets: a custom domain first, then
 * workers.dev. Zone routes (patterns such as example.com/*) are not an origin SDKs can be given.
 */
export function ingestUrlFromTargets(targets) {
  // "api.example.com (custom domain)", or with "- zone name: …" / "- zone id: …" when the route names its zone.
  const CUSTOM = / \(custom domain(?: - zone (?:name|id): [^)]*)?\)$/;
  const custom = targets.find((t) => CUSTOM.test(t));
  if (custom) return `https://${custom.replace(CUSTOM, "").trim()}`;
  return targets.find((t) => /^https:\/\/[^/\s]+\.workers\.dev\/?$/.test(t))?.replace(/\/$/, "");
}

/** The same targets read from what `wrangler deploy` printed, for wranglers without an output file. */
export function deployTargetsFromStdout(stdout) {
  const lines = stdout.split("\n");
  const at = lines.findIndex((line) => /^Deployed \S+ triggers/.test(line));
  if (at < 0) return [];
  const targets = [];
  for (const line of lines.slice(at + 1)) {
    if (!/^\s+\S/.test(line)) break;
    targets.push(line.trim());
  }
  return targets;
}
