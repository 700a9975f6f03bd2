// The stand-in wrangler only knows flags the real wrangler has: every flag it accepts for a
// command appears in that command's `--help` (which the real CLI prints offline).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { ROOT, wranglerEnv } from "../../scripts/local-dev.mjs";
import { COMMAND_FLAGS, globalFlags } from "./wrangler-flags.mjs";

const run = promisify(execFile);
const realWrangler = join(ROOT, "node_modules", ".bin", "wrangler");

test("every flag the stand-in accepts is in the real wrangler's help for that command", async () => {
  const commands = Object.keys(COMMAND_FLAGS);
  const helps = [];
  // A few at a time: each is a whole wrangler start-up.
  for (let i = 0; i < commands.length; i += 4) {
    helps.push(
      ...(await Promise.all(
        commands.slice(i, i + 4).map(async (command) => {
          const { stdout, stderr } = await run(realWrangler, [...command.split(" "), "--help"], {
            cwd: ROOT,
            env: wranglerEnv,
            maxBuffer: 4 * 1024 * 1024,
          });
          return [command, `${stdout}\n${stderr}`];
        }),
      )),
    );
  }
  for (const [command, help] of helps) {
    const documented = new Set([...help.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]));
    assert.ok(documented.size > 0, `no flags in the help of wrangler ${command}`);
    for (const flag of [...COMMAND_FLAGS[command], ...globalFlags(command)]) {
      assert.ok(documented.has(flag), `wrangler ${command} has no --${flag}`);
    }
  }
});
