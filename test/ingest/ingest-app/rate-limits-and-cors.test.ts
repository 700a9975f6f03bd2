import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sdkEnvelopes } from "../../support/fixtures";
import { seedProject } from "../../support/seed";
import { BASE, envelopeUrl, post, receivedRows, waitForRows, envelope, smallEvent } from "../../support/ingest-requests";

describe("rate limits", () => {
  it("answers 429 with Retry-After and X-Sentry-Rate-Limits past the key's limit, enqueueing nothing", async () => {
    const key = await seedProject({ rateLimitPerMinute: 2 });
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 4; i++) {
      const body = envelope({ event_id: `${i}`.padStart(32, "a") }, [{ type: "event" }, JSON.stringify({ message: "hi" })]);
      const { res, status } = await post(envelopeUrl(key), body);
      statuses.push(status);
      if (status === 429) limited = res;
    }
    // A minute boundary may fall inside the loop; then the window restarts once.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(3);
    expect(limited).toBeDefined();
    const retryAfter = Number(limited?.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited?.headers.get("x-sentry-rate-limits")).toBe(
      `${retryAfter}:error;default;transaction;security;feedback;span:key:key_quota`,
    );
    const accepted = statuses.filter((s) => s === 200).length;
    await waitForRows(key.projectId, accepted);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await receivedRows(key.projectId)).length).toBe(accepted);
  });

  it("counts user feedback against the limit, and the 429 names its category", async () => {
    const key = await seedProject({ rateLimitPerMinute: 1 });
    const feedback = (i: number) =>
      envelope({ event_id: `${i}`.padStart(32, "b") }, [
        { type: "feedback" },
        JSON.stringify({ contexts: { feedback: { message: "it broke" } } }),
      ]);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await post(envelopeUrl(key), feedback(i))).res);
    // A minute boundary may fall inside the loop; then the window restarts once.
    const limited = answers.find((r) => r.status === 429);
    expect(limited).toBeDefined();
    const categories = limited?.headers.get("x-sentry-rate-limits")?.split(":")[1]?.split(";");
    expect(categories).toContain("feedback");
  });

  it("counts an envelope of spans (a span stream's transaction) against the limit, in the span category", async () => {
    const key = await seedProject({ rateLimitPerMinute: 1 });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await post(envelopeUrl(key), sdkEnvelopes.nodeSpans));
    // A minute boundary may fall inside the loop; then the window restarts once.
    const limited = answers.find((a) => a.status === 429);
    expect(limited).toBeDefined();
    expect(limited?.res.headers.get("x-sentry-rate-limits")?.split(":")[1]?.split(";")).toContain("span");
    // Still no event: the answer to an accepted one has no id.
    expect(answers.find((a) => a.status === 200)?.json).toEqual({});
  });

  it("does not count sessions against the event limit", async () => {
    const key = await seedProject({ rateLimitPerMinute: 1 });
    for (let i = 0; i < 3; i++) expect((await post(envelopeUrl(key), sdkEnvelopes.nodeSession)).status).toBe(200);
  });
});

describe("CORS", () => {
  it("answers the preflight like Relay", async () => {
    const res = await SELF.fetch(`${BASE}/api/1/envelope/`, {
      method: "OPTIONS",
      headers: {
        origin: "http://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,x-sentry-auth",
      },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://app.example");
    const allowed = res.headers.get("access-control-allow-headers") ?? "";
    for (const h of ["x-sentry-auth", "content-type", "content-encoding", "authorization"]) expect(allowed).toContain(h);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });

  it("exposes the error headers on rejections too", async () => {
    const res = await SELF.fetch(`${BASE}/api/1/envelope/`, {
      method: "POST",
      body: smallEvent,
      headers: { origin: "http://app.example" },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://app.example");
    expect(res.headers.get("access-control-expose-headers")).toContain("x-sentry-error");
  });
});
