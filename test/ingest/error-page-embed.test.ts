import { SELF, env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { errorPageScript, dialogTexts, scriptJson } from "../../worker/error-page-script";
import { readReportForm } from "../../worker/error-page-embed";
import { seedProject, type SeededKey } from "../support/seed";
import { BASE } from "../support/ingest-requests";

const EVENT_ID = "6359c2a172ba43d9a4df2e09874e7362";

/** The URL @sentry/browser's getReportDialogEndpoint builds: the DSN unencoded, then the options. */
function embedUrl(key: SeededKey, extra = "") {
  return `${BASE}/api/embed/error-page/?dsn=http://${key.publicKey}@ingest.test/${key.projectId}&eventId=${EVENT_ID}${extra}`;
}

function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  return SELF.fetch(url, {
    method: "POST",
    body: new URLSearchParams(form).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://app.example.com", ...headers },
  });
}

async function feedbackOf(projectId: number) {
  const { results } = await env.DB.prepare(
    "SELECT feedback_id, event_id, name, email, message, source FROM user_feedback WHERE project_id = ?",
  )
    .bind(projectId)
    .all();
  return results;
}

describe("GET /api/embed/error-page/", () => {
  it("serves the dialog's script to a cross-origin <script crossorigin>, with the user's name and email filled in", async () => {
    const key = await seedProject();
    const res = await SELF.fetch(embedUrl(key, "&name=Jane%20Doe&email=jane%40example.com&title=Oops"), {
      headers: { origin: "https://app.example.com" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/javascript/);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const script = await res.text();
    expect(script).toContain('"name":"Jane Doe"');
    expect(script).toContain('"title":"Oops"');
    expect(script).toContain("__sentry_reportdialog_closed__");
  });

  it("answers 400 for a missing DSN or event id, 401 for an unknown key, 403 for an origin the key does not allow", async () => {
    const key = await seedProject({ allowedOrigins: ["https://app.example.com"] });
    expect((await SELF.fetch(`${BASE}/api/embed/error-page/?eventId=${EVENT_ID}`)).status).toBe(400);
    expect((await SELF.fetch(embedUrl(key).replace(EVENT_ID, "nope"))).status).toBe(400);
    expect((await SELF.fetch(embedUrl({ ...key, publicKey: "f".repeat(32) }))).status).toBe(401);
    expect((await SELF.fetch(embedUrl(key), { headers: { origin: "https://evil.example.com" } })).status).toBe(403);
    expect((await SELF.fetch(embedUrl(key), { method: "PUT" })).status).toBe(405);
  });
});

describe("POST /api/embed/error-page/", () => {
  it("queues the form as a user report about the event, kept once", async () => {
    const key = await seedProject();
    const form = { name: "Jane", email: "jane@example.com", comments: "<img src=x onerror=alert(1)> it broke" };
    const res = await postForm(embedUrl(key), form);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    await postForm(embedUrl(key), form);
    const rows = await vi.waitFor(
      async () => {
        const rows = await feedbackOf(key.projectId);
        if (rows.length === 0) throw new Error("not yet");
        return rows;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(rows).toEqual([
      { feedback_id: EVENT_ID, event_id: EVENT_ID, name: "Jane", email: "jane@example.com", message: form.comments, source: "user_report" },
    ]);
  });

  it("counts a report against the key's rate limit", async () => {
    const key = await seedProject({ rateLimitPerMinute: 1 });
    const form = { name: "Jane", email: "jane@example.com", comments: "again and again" };
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await postForm(embedUrl(key), form)).status);
    // A minute boundary may fall inside the loop; then the window restarts once.
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
  });

  it("answers 400 with Sentry's errors for each bad field, and 413 for a body past 64 KiB", async () => {
    const key = await seedProject();
    const res = await postForm(embedUrl(key), { name: "", email: "nope", comments: "x" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errors: { name: "This field is required.", email: "Enter a valid email address." } });
    const huge = await postForm(embedUrl(key), { name: "a", email: "a@b.co", comments: "x".repeat(1_000_000) });
    expect(huge.status).toBe(413);
  });
});

describe("the dialog's script", () => {
  it("keeps every text a page passes out of the markup: JSON with < escaped, drawn as text nodes", () => {
    const texts = dialogTexts((name) => (name === "title" ? "</script><script>alert(1)</script>" : undefined));
    const script = errorPageScript({ endpoint: "https://x/", name: "\u2028", email: "", texts });
    expect(script).not.toContain("</script>");
    expect(script).not.toContain("\u2028");
    expect(script).not.toContain("innerHTML");
    expect(scriptJson("<b>")).toBe('"\\u003cb>"');
  });

  it("reads a form with a comment at the limit, and names a longer one", () => {
    const form = (comments: string) => new URLSearchParams({ name: "a", email: "a@b.co", comments });
    expect(readReportForm(form("x".repeat(16_384))).ok).toBe(true);
    expect(readReportForm(form("x".repeat(16_385)))).toEqual({
      ok: false,
      errors: { comments: "Ensure this value has at most 16384 characters." },
    });
  });
});
