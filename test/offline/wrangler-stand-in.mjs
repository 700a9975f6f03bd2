// A stand-in for the `wrangler` CLI, put first on PATH by the setup and deploy tests: it records
// every call, refuses flags the real wrangler 4.86 does not have for that command (a test checks
// this table against the real `--help`), and answers like the real one from an account kept in
// a JSON file: D1 databases, queues, buckets, Pages projects and their secrets. D1 commands run
// for real, against a local D1 (`--remote` becomes `--local --persist-to`), so migrations and
// the first owner land in a database the test can read.
//
// Environment: STAND_IN_STATE (the account's JSON file; its folder also holds calls.jsonl and
// the local D1), STAND_IN_REAL_WRANGLER (the real CLI, for the D1 commands).
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { COMMAND_FLAGS, globalFlags } from "./wrangler-flags.mjs";

const BANNER = " ⛅️ wrangler 4.86.0\n───────────────────\n";

function main() {
  const stateFile = process.env.STAND_IN_STATE;
  if (!stateFile) fail("STAND_IN_STATE is not set");
  const state = JSON.parse(readFileSync(stateFile, "utf8"));
  const argv = process.argv.slice(2);
  const stdin = readStdin();
  appendFileSync(join(dirname(stateFile), "calls.jsonl"), `${JSON.stringify({ argv, cwd: process.cwd(), stdin })}\n`);

  const command = Object.keys(COMMAND_FLAGS)
    .sort((a, b) => b.length - a.length)
    .find((c) => c.split(" ").every((word, i) => argv[i] === word));
  if (!command) fail(`stand-in: unexpected command: wrangler ${argv.join(" ")}`);
  const { positionals, flags } = parseArgv(argv.slice(command.split(" ").length));
  const allowed = new Set([...COMMAND_FLAGS[command], ...globalFlags(command)]);
  const unknown = Object.keys(flags).filter((f) => !allowed.has(f));
  if (unknown.length > 0) fail(`Unknown argument${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`);
  const failure = state.fail?.[command];
  if (failure) fail(failure);
  if (command !== "whoami" && !state.loggedIn)
    fail("In a non-interactive environment, it's necessary to set a CLOUDFLARE_API_TOKEN environment variable for wrangler to work.");
  // The Pages and R2 commands do not read wrangler.toml's account_id: only the environment tells them the account.
  if (state.accounts.length > 1 && !process.env.CLOUDFLARE_ACCOUNT_ID && /^(pages|r2) /.test(command)) {
    fail("More than one account available but unable to select one in non-interactive mode.");
  }

  const save = () => writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
  const out = (text) => process.stdout.write(text);
  const project = () => {
    const name = flags["project-name"];
    if (!name) fail("Must specify a project name.");
    const p = state.pages.find((x) => x.name === name);
    if (!p) fail(`Project "${name}" does not exist.`);
    return p;
  };

  switch (command) {
    case "whoami":
      if (!state.loggedIn) {
        out('{"loggedIn":false}\n');
        process.exit(1);
      }
      out(
        `${JSON.stringify({ loggedIn: true, authType: "User API Token", email: "owner@example.com", accounts: state.accounts, tokenPermissions: ["workers_scripts:edit", "d1:edit"] }, null, 2)}\n`,
      );
      return;
    case "d1 list":
      requireFlag(flags, "json");
      out(
        `${JSON.stringify(
          state.d1.map((d) => ({
            uuid: d.uuid,
            name: d.name,
            created_at: "2026-11-01T10:00:00.000Z",
            version: "production",
            num_tables: 0,
            file_size: 12288,
            jurisdiction: null,
          })),
          null,
          2,
        )}\n`,
      );
      return;
    case "d1 create": {
      const [name] = positionals;
      if (state.d1.some((d) => d.name === name)) fail(`A database with that name already exists [code: 7502]`);
      const uuid = state.nextUuid ?? crypto.randomUUID();
      state.d1.push({ uuid, name });
      save();
      out(
        `${BANNER}✅ Successfully created DB '${name}' in region WEUR\nCreated your new D1 database.\n\nTo access your new D1 Database in your Worker, add the following snippet to your configuration file:\n[[d1_databases]]\nbinding = "${name}"\ndatabase_name = "${name}"\ndatabase_id = "${uuid}"\n`,
      );
      return;
    }
    case "d1 migrations apply":
    case "d1 execute":
      return runD1(state, stateFile, argv, flags);
    case "queues list": {
      const page = Number(flags.page ?? 1);
      const rows = page === 1 ? state.queues : [];
      out(
        BANNER +
          table(
            ["id", "name", "created_on", "modified_on", "producers", "consumers"],
            rows.map((q) => [q.id, q.name, "2026-11-01T10:00:00.000Z", "2026-11-01T10:00:00.000Z", "0", "0"]),
          ),
      );
      return;
    }
    case "queues create": {
      const [name] = positionals;
      if (state.queues.some((q) => q.name === name)) fail(`A queue with this name already exists [code: 11009]`);
      state.queues.push({ id: crypto.randomUUID().replaceAll("-", ""), name });
      save();
      out(
        `${BANNER}🌀 Creating queue '${name}'\n✅ Created queue '${name}'\n\nConfigure your Worker to send messages to this queue:\n\n[[queues.producers]]\nqueue = "${name}"\nbinding = "${name}"\n`,
      );
      return;
    }
    case "r2 bucket list":
      out(
        `${BANNER}Listing buckets...\n${state.buckets.map((b) => `name:           ${b}\ncreation_date:  2026-11-01T10:00:00.000Z`).join("\n\n")}\n`,
      );
      return;
    case "r2 bucket create": {
      const [name] = positionals;
      // `unlistedBuckets`: buckets past the one page `r2 bucket list` shows.
      if (state.buckets.includes(name) || state.unlistedBuckets?.includes(name))
        fail(`The bucket you tried to create already exists, and you own it. [code: 10004]`);
      state.buckets.push(name);
      save();
      out(`${BANNER}Creating bucket '${name}'...\n✅ Created bucket '${name}' with default storage class of Standard.\n`);
      return;
    }
    case "pages project list":
      requireFlag(flags, "json");
      out(
        `${JSON.stringify(
          state.pages.map((p) => ({
            "Project Name": p.name,
            "Project Domains": p.domains.join(", "),
            "Git Provider": "No",
            "Last Modified": "2 days ago",
          })),
          null,
          2,
        )}\n`,
      );
      return;
    case "pages project create": {
      const [name] = positionals;
      if (!flags["production-branch"]) fail("Must specify a production branch.");
      if (state.pages.some((p) => p.name === name))
        fail("A project with this name already exists. Choose a different project name. [code: 8000002]");
      const subdomain = `${name}${state.pagesSubdomainSuffix ?? ""}.pages.dev`;
      state.pages.push({ name, domains: [subdomain], productionBranch: flags["production-branch"], secrets: {}, deployments: [] });
      save();
      out(
        `${BANNER}✨ Successfully created the '${name}' project. It will be available at https://${subdomain}/ once you create your first deployment.\nTo deploy a folder of assets, run 'wrangler pages deploy [directory]'.\n`,
      );
      return;
    }
    case "pages secret list": {
      const p = project();
      out(
        `${BANNER}The "production" environment of your Pages project "${p.name}" has access to the following secrets:\n${Object.keys(
          p.secrets,
        )
          .map((k) => `  - ${k}: Value Encrypted`)
          .join("\n")}\n`,
      );
      return;
    }
    case "secret list": {
      if (!state.worker) fail("This Worker does not exist on your account. [code: 10007]");
      out(`${JSON.stringify(Object.keys(state.worker.secrets ?? {}).map((name) => ({ name, type: "secret_text" })))}\n`);
      return;
    }
    case "secret put": {
      if (!state.worker) fail("stand-in: the real wrangler asks whether to create a Worker here, and fails without a terminal");
      if (!stdin.trim()) fail("stand-in: a secret read from stdin must not be empty");
      state.worker.secrets = { ...state.worker.secrets, [positionals[0]]: stdin.trimEnd() };
      save();
      out(`${BANNER}🌀 Creating the secret for the Worker "${state.worker.name}"\n✨ Success! Uploaded secret ${positionals[0]}\n`);
      return;
    }
    case "pages secret put": {
      const p = project();
      const [key] = positionals;
      if (!stdin.trim()) fail("stand-in: a secret read from stdin must not be empty");
      p.secrets[key] = stdin.trimEnd();
      save();
      out(`${BANNER}🌀 Creating the secret for the Pages project "${p.name}" (production)\n✨ Success! Uploaded secret ${key}\n`);
      return;
    }
    case "pages deploy": {
      const p = project();
      const [directory] = positionals;
      if (!directory || !existsSync(join(directory, "index.html"))) fail(`stand-in: nothing to deploy in ${directory}`);
      const config = readConfig(join(process.cwd(), "wrangler.toml"));
      if (!/pages_build_output_dir/.test(config)) fail("stand-in: pages deploy must run where the Pages wrangler.toml is");
      checkDatabaseId(state, config, "the dashboard's wrangler.toml");
      for (const [, bucket] of config.matchAll(/^bucket_name\s*=\s*"([^"]+)"/gm)) {
        if (!state.buckets.includes(bucket) && !state.unlistedBuckets?.includes(bucket))
          fail(`R2 bucket '${bucket}' not found. Please use a different name and try again. [code: 10085]`);
      }
      const id = crypto.randomUUID().slice(0, 8);
      p.deployments.push({ id, branch: flags.branch ?? null, directory: resolve(directory), secrets: { ...p.secrets } });
      save();
      const url = `https://${id}.${p.domains.find((d) => d.endsWith(".pages.dev"))}`;
      writeOutput({ type: "pages-deploy", version: 1, pages_project: p.name, deployment_id: id, url });
      out(
        `${BANNER}✨ Success! Uploaded 7 files (1.20 sec)\n\n✨ Uploading Functions bundle\n🌎 Deploying...\n✨ Deployment complete! Take a peek over at ${url}\n`,
      );
      return;
    }
    case "deploy": {
      if (flags["dry-run"]) fail("stand-in: deploy --dry-run is tested with the real wrangler");
      const config = readConfig(join(process.cwd(), "wrangler.toml"));
      checkDatabaseId(state, config, "wrangler.toml");
      for (const [, queue] of config.matchAll(/^(?:queue|dead_letter_queue)\s*=\s*"([^"]+)"/gm)) {
        if (!state.queues.some((q) => q.name === queue))
          fail(`Queue "${queue}" does not exist. To create it, run: wrangler queues create ${queue}`);
      }
      for (const [, bucket] of config.matchAll(/^bucket_name\s*=\s*"([^"]+)"/gm)) {
        if (!state.buckets.includes(bucket) && !state.unlistedBuckets?.includes(bucket))
          fail(`R2 bucket '${bucket}' not found. Please use a different name and try again. [code: 10085]`);
      }
      const name = /^name\s*=\s*"([^"]+)"/m.exec(config)?.[1];
      const crons =
        /^crons\s*=\s*\[([^\]]*)\]/m
          .exec(config)?.[1]
          .match(/"[^"]+"/g)
          ?.map((c) => JSON.parse(c)) ?? [];
      const vars = [].concat(flags.var ?? []);
      state.worker = { name, crons, vars, secrets: state.worker?.secrets ?? {} };
      save();
      const targets = [
        `https://${name}.${state.workersSubdomain}.workers.dev`,
        ...(state.customDomain ? [`${state.customDomain} (custom domain)`] : []),
        ...crons.map((c) => `schedule: ${c}`),
        "Producer for events",
        "Producer for alerts",
        "Consumer for events",
        "Consumer for events-dlq",
        "Consumer for alerts",
        "Consumer for alerts-dlq",
      ];
      writeOutput({ type: "deploy", version: 1, worker_name: name, worker_tag: "tag", version_id: crypto.randomUUID(), targets });
      out(
        `${BANNER}Total Upload: 401.70 KiB / gzip: 87.38 KiB\nUploaded ${name} (2.31 sec)\nDeployed ${name} triggers (0.84 sec)\n${targets.map((t) => `  ${t}`).join("\n")}\nCurrent Version ID: 0a1b2c3d\n`,
      );
      return;
    }
  }
}

/** The real wrangler, against a local D1 standing in for the account's database. */
function runD1(state, stateFile, argv, flags) {
  if (!flags.remote) fail("stand-in: D1 commands of setup and deploy must name --remote");
  const config = readConfig(join(process.cwd(), "wrangler.toml"));
  checkDatabaseId(state, config, "wrangler.toml");
  const args = argv.filter((a) => a !== "--remote").concat(["--local", "--persist-to", join(dirname(stateFile), "d1")]);
  const result = spawnSync(process.env.STAND_IN_REAL_WRANGLER, args, {
    cwd: process.cwd(),
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    encoding: "utf8",
  });
  process.stdout.write(result.stdout ?? "");
  process.stderr.write(result.stderr ?? "");
  process.exit(result.status ?? 1);
}

/** The real wrangler refuses a D1 id that is not the account's; so does this one. */
function checkDatabaseId(state, config, where) {
  const id = /^database_id\s*=\s*"([^"]+)"/m.exec(config)?.[1];
  if (!state.d1.some((d) => d.uuid === id)) fail(`Couldn't find DB with id "${id}" (from ${where}) [code: 7404]`);
}

function readConfig(file) {
  if (!existsSync(file)) fail(`stand-in: no ${file}`);
  return readFileSync(file, "utf8");
}

function writeOutput(entry) {
  const file = process.env.WRANGLER_OUTPUT_FILE_PATH;
  if (file) appendFileSync(file, `${JSON.stringify({ ...entry, timestamp: new Date().toISOString() })}\n`);
}

function requireFlag(flags, name) {
  if (!flags[name]) fail(`stand-in: expected --${name}`);
}

/** yargs-like: `--flag value`, `--flag=value`, bare booleans, repeated flags as arrays. */
function parseArgv(args) {
  const positionals = [];
  const flags = {};
  const booleans = new Set([
    "json",
    "local",
    "remote",
    "preview",
    "yes",
    "dry-run",
    "commit-dirty",
    "keep-vars",
    "minify",
    "help",
    "version",
    "update-config",
    "use-remote",
    "no-bundle",
    "latest",
    "strict",
    "skip-caching",
    "upload-source-maps",
  ]);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    const short = { "-c": "config", "-e": "env", "-y": "yes", "-h": "help", "-v": "version", "-J": "jurisdiction", "-s": "storage-class" }[
      arg
    ];
    const [name, inline] = short ? [short, undefined] : arg.replace(/^--/, "").split(/=(.*)/s);
    const value = inline !== undefined ? inline : booleans.has(name) ? true : args[++i];
    flags[name] = name in flags ? [].concat(flags[name], value) : value;
  }
  return { positionals, flags };
}

function table(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)) + 2);
  const line = (l, m, r) => `${l}${widths.map((w) => "─".repeat(w)).join(m)}${r}\n`;
  const row = (cells) => `│${cells.map((c, i) => ` ${String(c).padEnd(widths[i] - 1)}`).join("│")}│\n`;
  return line("┌", "┬", "┐") + row(head) + rows.map((r) => line("├", "┼", "┤") + row(r)).join("") + line("└", "┴", "┘");
}

function readStdin() {
  if (process.stdin.isTTY) return "";
  try {
    return readFileSync(0, "utf8");
  } catch {
    return "";
  }
}

function fail(message) {
  process.stderr.write(`\n✘ [ERROR] ${message}\n\n`);
  process.exit(1);
}

main();
