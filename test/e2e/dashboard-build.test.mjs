// The dashboard as Pages serves it: its source typechecks, and the build stays small and
// self-contained — no web fonts, no CDN, uPlot loaded only with the first chart, and each page
// but the first ones loaded when it is first shown.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { ROOT } from "../../scripts/local-dev.mjs";

const run = promisify(execFile);
const bin = (name) => join(ROOT, "node_modules", ".bin", name);
// What the first visit downloads (the entry script and the stylesheet), gzip'd.
const FIRST_LOAD_BUDGET = 45 * 1024;

test("the dashboard's source typechecks (strict, DOM types)", async () => {
  await run(bin("tsc"), ["--noEmit", "-p", "dashboard"], { cwd: ROOT });
});

test("the app never writes HTML from strings: event data reaches the page as text", () => {
  const sources = readdirSync(join(ROOT, "dashboard", "src"), { recursive: true }).filter((f) => /\.tsx?$/.test(f));
  assert.ok(sources.length > 10);
  for (const file of sources) {
    const text = readFileSync(join(ROOT, "dashboard", "src", file), "utf8");
    const found = /dangerouslySetInnerHTML|\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write/.exec(text);
    assert.equal(found, null, `${file} uses ${found?.[0]}`);
  }
});

test("the build is small, self-contained, and loads uPlot only for charts", async () => {
  const out = mkdtempSync(join(tmpdir(), "faultline-dashboard-build-"));
  try {
    await run(bin("vite"), ["build", "dashboard", "--outDir", out, "--emptyOutDir", "--logLevel", "warn"], { cwd: ROOT });
    const html = readFileSync(join(out, "index.html"), "utf8");
    const assets = readdirSync(join(out, "assets"));
    const firstLoad = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]);
    assert.ok(firstLoad.some((f) => f.endsWith(".js")) && firstLoad.some((f) => f.endsWith(".css")), `entry assets: ${firstLoad}`);
    const bytes = firstLoad.reduce((sum, f) => sum + gzipSync(readFileSync(join(out, "assets", f))).length, 0);
    assert.ok(bytes < FIRST_LOAD_BUDGET, `first load is ${bytes} bytes gzip'd`);

    const entry = readFileSync(
      join(
        out,
        "assets",
        firstLoad.find((f) => f.endsWith(".js")),
      ),
      "utf8",
    );
    // The entry may name uPlot's chunk in its preload map; its code ("u-over" is
    // the class uPlot gives its plot area) must stay out of the first load.
    assert.ok(!entry.includes("u-over"), "uPlot's code is not in the entry script");
    assert.ok(!firstLoad.some((f) => /uplot/i.test(f)), `uPlot is not loaded first: ${firstLoad}`);
    assert.ok(
      assets.some((f) => /^draw-events-chart-.*\.js$/.test(f)),
      `a chart chunk: ${assets}`,
    );
    // Pages other than the login and the issue stream are fetched when first shown.
    for (const page of ["issue-page", "crons-page", "performance-page", "releases-page", "alert-rules-page"]) {
      assert.ok(
        assets.some((f) => f.startsWith(`${page}-`) && f.endsWith(".js")),
        `${page} is a chunk of its own: ${assets}`,
      );
      assert.ok(!firstLoad.some((f) => f.startsWith(`${page}-`)), `${page} is not loaded first: ${firstLoad}`);
    }

    for (const file of ["index.html", ...assets.map((f) => join("assets", f))]) {
      const text = readFileSync(join(out, file), "utf8");
      const external = /@font-face|@import|fonts\.googleapis|<link[^>]+https?:\/\/|<script[^>]+https?:\/\//.exec(text);
      assert.equal(external, null, `${file} loads ${external?.[0]} from elsewhere`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
