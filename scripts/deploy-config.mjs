// What `npm run setup` and `npm run deploy` read from and record in the two wrangler configs:
// wrangler.toml (the Worker) and dashboard/wrangler.toml (the dashboard's Pages project). Only
// the simple TOML these files use is understood: [tables], [[arrays of tables]], and
// `key = "string"`, `key = number` and `key = ["string", …]` lines.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The D1 id wrangler.toml ships with; `npm run setup` replaces it with the real database's. */
export const PLACEHOLDER_DATABASE_ID = "00000000-0000-4000-8000-00000000fa17";
/** The dashboard's Pages project deploys this branch as production. */
export const PRODUCTION_BRANCH = "main";

/** The sections of a TOML file, in order: `{ header, values }` (header "" for the top level). */
export function readTomlSections(text) {
  const sections = [{ header: "", values: {} }];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\s+#.*$/, "").trim();
    if (!line || line.startsWith("#")) continue;
    const header = /^\[\[?([^\]]+)\]\]?$/.exec(line);
    if (header) {
      sections.push({ header: line.startsWith("[[") ? `[[${header[1].trim()}]]` : `[${header[1].trim()}]`, values: {} });
      continue;
    }
    const pair = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (!pair) continue;
    let raw = pair[2];
    // An array may span lines.
    while (raw.startsWith("[") && !raw.includes("]") && i + 1 < lines.length) raw += ` ${lines[++i].replace(/\s+#.*$/, "").trim()}`;
    sections.at(-1).values[pair[1]] = parseTomlValue(raw);
  }
  return sections;
}

function parseTomlValue(raw) {
  const text = raw.trim();
  if (text.startsWith('"')) return JSON.parse(text.slice(0, text.indexOf('"', 1) + 1));
  if (text.startsWith("[")) return [...text.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`));
  if (text === "true" || text === "false") return text === "true";
  const n = Number(text);
  return Number.isNaN(n) ? text : n;
}

/** The Worker's resources as wrangler.toml names them. */
export function readWorkerConfig(root) {
  const sections = readTomlSections(readFileSync(join(root, "wrangler.toml"), "utf8"));
  const of = (header) => sections.filter((s) => s.header === header).map((s) => s.values);
  const top = sections[0].values;
  const db = of("[[d1_databases]]").find((d) => d.binding === "DB");
  if (!db) throw new Error('wrangler.toml has no [[d1_databases]] with binding = "DB"');
  const queues = new Set();
  for (const p of of("[[queues.producers]]")) queues.add(p.queue);
  for (const c of of("[[queues.consumers]]")) {
    queues.add(c.queue);
    if (c.dead_letter_queue) queues.add(c.dead_letter_queue);
  }
  return {
    name: top.name,
    database: { name: db.database_name, id: db.database_id },
    buckets: of("[[r2_buckets]]").map((b) => b.bucket_name),
    queues: [...queues].filter(Boolean),
    crons: of("[triggers]")[0]?.crons ?? [],
    vars: of("[vars]")[0] ?? {},
    accountId: top.account_id,
  };
}

/** The dashboard's Pages project, from dashboard/wrangler.toml. */
export function readPagesConfig(root) {
  const file = join(root, "dashboard", "wrangler.toml");
  if (!existsSync(file)) throw new Error("dashboard/wrangler.toml is missing (the dashboard's Pages configuration)");
  const sections = readTomlSections(readFileSync(file, "utf8"));
  const top = sections[0].values;
  const db = sections
    .filter((s) => s.header === "[[d1_databases]]")
    .map((s) => s.values)
    .find((d) => d.binding === "DB");
  const buckets = sections.filter((s) => s.header === "[[r2_buckets]]").map((s) => s.values.bucket_name);
  return {
    name: top.name,
    compatibilityDate: top.compatibility_date,
    outputDir: top.pages_build_output_dir,
    databaseId: db?.database_id,
    buckets,
  };
}

/**
 * Records the D1 database id in the [[d1_databases]] block with binding "DB" of a wrangler
 * config, leaving every other line as it was. Returns whether the file changed.
 */
export function recordDatabaseId(file, id) {
  const text = readFileSync(file, "utf8");
  const blocks = text.split(/^(?=\[)/m);
  let found = false;
  const updated = blocks.map((block) => {
    if (!/^\[\[d1_databases\]\]/.test(block) || !/^binding\s*=\s*"DB"\s*$/m.test(block)) return block;
    found = true;
    return block.replace(/^database_id\s*=\s*"[^"]*"/m, `database_id = "${id}"`);
  });
  if (!found) throw new Error(`${file} has no [[d1_databases]] block with binding = "DB"`);
  const next = updated.join("");
  if (next === text) return false;
  writeFileSync(file, next);
  return true;
}
