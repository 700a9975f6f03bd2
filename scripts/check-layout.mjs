// `npm run check:layout` (part of `npm test`): the layout is the architecture (docs/architecture.md).
// Reads every source file's imports and fails on an import that points up or across the stages,
// on an import circle, and on a folder with more than 25 source files side by side.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE = /\.(ts|tsx|mjs)$/;
const MAX_FILES_PER_FOLDER = 25;

/** Each part of the tree, and the parts it may import from (besides itself). Order: most specific first. */
const PARTS = [
  ["faultline-worker.ts", ["worker", "queue-consumer", "protocol", "db"]],
  ["protocol", []],
  ["db", ["protocol"]],
  ["alert-channels", ["protocol", "db"]],
  ["worker", ["protocol", "db"]],
  ["queue-consumer/digest", ["protocol", "db"]],
  ["queue-consumer/alerts", ["queue-consumer/digest", "alert-channels", "protocol", "db"]],
  ["queue-consumer/jobs", ["queue-consumer/alerts", "queue-consumer/digest", "protocol", "db"]],
  ["queue-consumer", ["queue-consumer/digest", "queue-consumer/alerts", "queue-consumer/jobs", "protocol", "db"]],
  ["dashboard/src", []],
  ["dashboard/api", ["alert-channels", "protocol", "db"]],
  ["dashboard/functions", ["dashboard/api"]],
];

function partOf(file) {
  return PARTS.find(([part]) => file === part || file.startsWith(`${part}/`))?.[0] ?? null;
}

function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const path = dir === "." ? name : `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sourceFiles(path));
    else if (SOURCE.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

function resolveImport(from, spec) {
  const base = join(dirname(from), spec.split("?")[0]);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}.mjs`, `${base}/index.ts`]) {
    if (existsSync(join(ROOT, candidate)) && statSync(join(ROOT, candidate)).isFile()) return relative(ROOT, join(ROOT, candidate));
  }
  return null;
}

const files = [
  ...["faultline-worker.ts"].filter((f) => existsSync(join(ROOT, f))),
  ...["protocol", "db", "alert-channels", "worker", "queue-consumer", "dashboard/src", "dashboard/api", "dashboard/functions"].flatMap(
    sourceFiles,
  ),
];
const problems = [];
const graph = new Map();
for (const file of files) {
  const text = readFileSync(join(ROOT, file), "utf8");
  const edges = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith(".")) continue;
    const target = resolveImport(file, spec);
    if (target === null) {
      problems.push(`${file}: cannot resolve ${spec}`);
      continue;
    }
    edges.push(target);
    const from = partOf(file);
    const to = partOf(target);
    const allowed = PARTS.find(([part]) => part === from)?.[1] ?? [];
    if (from !== to && !allowed.includes(to))
      problems.push(`${file} imports ${target}: ${from} may import only from ${[from, ...allowed].join(", ")}`);
  }
  graph.set(file, edges);
}

// Import circles, by depth-first search.
const state = new Map();
const stack = [];
function visit(file) {
  state.set(file, "open");
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    if (state.get(next) === "open") problems.push(`import circle: ${[...stack.slice(stack.indexOf(next)), next].join(" -> ")}`);
    else if (!state.has(next)) visit(next);
  }
  stack.pop();
  state.set(file, "done");
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);

// Folders of more than MAX_FILES_PER_FOLDER source files side by side (tests included).
for (const dir of [".", "test"]) {
  const byFolder = new Map();
  for (const file of dir === "." ? files : sourceFiles("test")) byFolder.set(dirname(file), (byFolder.get(dirname(file)) ?? 0) + 1);
  for (const [folder, n] of byFolder)
    if (n > MAX_FILES_PER_FOLDER) problems.push(`${folder}/ holds ${n} source files side by side (at most ${MAX_FILES_PER_FOLDER})`);
}

if (problems.length > 0) {
  console.error(`layout: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join("\n")}`);
  process.exit(1);
}
console.log(
  `layout: ${files.length} source files, no upward or cross-stage import, no circle, no folder over ${MAX_FILES_PER_FOLDER} files`,
);
