// Debian's python3-sentry-sdk against the ingest Worker under `wrangler dev`: an older SDK that
// still uses the legacy /store/ endpoint.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { PROJECT_ID, startLocalFaultline, tagsOf, waitForEvents } from "./harness/local-faultline.mjs";

const run = promisify(execFile);
// Debian's interpreter, where python3-sentry-sdk lives; -I keeps any other Python's environment
// variables and user site-packages out.
const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./harness/capture-python-error.py", import.meta.url));

let faultline;

before(async () => {
  faultline = await startLocalFaultline();
});

after(async () => {
  await faultline?.stop();
});

async function pythonSentryVersion() {
  try {
    const { stdout } = await run(PYTHON, ["-I", "-c", "import sentry_sdk; print(sentry_sdk.VERSION)"]);
    return stdout.trim();
  } catch (err) {
    assert.fail(
      `${PYTHON} cannot import sentry_sdk (${err.message.trim()}): run scripts/install-test-deps.sh (installs Debian's python3-sentry-sdk)`,
    );
  }
}

test("an exception from Debian's Python SDK is recorded as a legacy store event", { timeout: 60_000 }, async () => {
  const version = await pythonSentryVersion();
  const { stdout } = await run(PYTHON, ["-I", SCRIPT, faultline.dsn], { timeout: 30_000 });
  const eventId = stdout.trim();
  assert.match(eventId, /^[0-9a-f]{32}$/, `the SDK returned an event id, got ${JSON.stringify(stdout)}`);

  const rows = await waitForEvents(faultline, [eventId]);
  const [row, ...others] = rows.filter((r) => r.event_id === eventId);
  assert.equal(others.length, 0, "recorded once");
  // Debian bookworm ships 1.9.10, which (as observed) POSTs each error as gzip'd JSON to
  // /api/<id>/store/ with an X-Sentry-Auth header, not as an envelope.
  assert.equal(row.project_id, PROJECT_ID);
  assert.equal(row.issue_title, "ZeroDivisionError: division by zero");

  const event = row.event;
  assert.equal(event.event_id, eventId);
  assert.equal(event.platform, "python");
  assert.equal(event.sdk.version, version);
  assert.equal(event.release, "faultline-e2e-python@1.0.0");
  assert.equal(tagsOf(event).suite, "python-sdk");
  const [exception] = event.exception.values;
  assert.equal(exception.type, "ZeroDivisionError");
  assert.equal(exception.stacktrace.frames.at(-1).function, "charge");
});
