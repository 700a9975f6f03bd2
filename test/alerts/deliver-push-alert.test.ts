import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DeliverMessage } from "../../protocol/alert-queue-message";
import { type DeliveryDeps, deliverAlert, deliveryDepsFrom } from "../../queue-consumer/alerts/deliver-alert";
import { evaluateAlertRules, evaluationOf } from "../../queue-consumer/alerts/evaluate-alert-rules";
import { generateVapidKeys } from "../../alert-channels/vapid-authorization";
import { type TestBrowser, decryptPush, newBrowser, verifyVapid } from "../support/push-browser";
import { seedProject } from "../support/seed";
import { digest, envelopeMessage, insertRule, recordingQueue } from "../support/seed-alerts";
import { seedUser } from "../support/seed-users";

const vapid = { ...(await generateVapidKeys()), subject: "mailto:alerts@faultline.example" };

/**
 * A stand-in for the browsers' push services: checks each request's VAPID token (signed by the
 * install's key, for the endpoint's origin), decrypts its body with the browser's private key and
 * answers what `answers` says for that endpoint (201 by default).
 */
function pushService(browsers: TestBrowser[], answers: Map<string, number[]> = new Map()) {
  const received: Array<{ endpoint: string; payload: Record<string, unknown>; headers: Headers }> = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const browser = browsers.find((b) => b.endpoint === request.url);
    if (browser === undefined) return new Response("no such subscription", { status: 404 });
    const { key, claims } = await verifyVapid(request.headers.get("authorization"));
    expect(key).toBe(vapid.publicKey);
    expect(claims.aud).toBe(new URL(browser.endpoint).origin);
    expect(claims.sub).toBe(vapid.subject);
    expect(request.headers.get("content-encoding")).toBe("aes128gcm");
    expect(Number(request.headers.get("ttl"))).toBeGreaterThan(0);
    const payload = JSON.parse(await decryptPush(new Uint8Array(await request.arrayBuffer()), browser));
    const status = answers.get(browser.endpoint)?.shift() ?? 201;
    if (status === 201) received.push({ endpoint: browser.endpoint, payload, headers: request.headers });
    return new Response(null, { status });
  }) as typeof globalThis.fetch;
  return { fetch, received };
}

/** A project whose rule pushes to a member with `browsers`, and the delivery a new issue made. */
async function fire(browserCount: number) {
  const { projectId } = await seedProject();
  const project = await env.DB.prepare("SELECT organization_id FROM projects WHERE id = ?")
    .bind(projectId)
    .first<{ organization_id: number }>();
  const member = await seedUser(project!.organization_id, "member");
  const browsers: TestBrowser[] = [];
  for (let i = 0; i < browserCount; i++) {
    const browser = await newBrowser(`https://push${i}.example.net/wpush/${crypto.randomUUID()}`);
    browsers.push(browser);
    await env.DB.prepare("INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)")
      .bind(member.userId, browser.endpoint, browser.p256dh, browser.auth, Date.now())
      .run();
  }
  await insertRule(projectId, {
    name: "New checkout errors",
    triggers: [{ type: "new_issue" }],
    targets: [{ type: "push", address: member.email.toUpperCase() }],
  });
  const { queue, sent } = recordingQueue();
  await evaluateAlertRules(env.DB, queue, evaluationOf(await digest([envelopeMessage(projectId, { release: "checkout-api@2.4.0" })]))!);
  const [message] = sent.filter((m): m is DeliverMessage => m.kind === "deliver");
  return { projectId, organizationId: project!.organization_id, member, browsers, deliveryId: message!.deliveryId };
}

function deps(fetch: typeof globalThis.fetch, overrides: Partial<DeliveryDeps> = {}): DeliveryDeps {
  return { ...deliveryDepsFrom(env), fetch, vapid, dashboardUrl: "https://faultline.example", ...overrides };
}

async function subscriptionsOf(userId: number) {
  const { results } = await env.DB.prepare("SELECT endpoint FROM push_subscriptions WHERE user_id = ? ORDER BY id")
    .bind(userId)
    .all<{ endpoint: string }>();
  return results.map((r) => r.endpoint);
}

async function deliveryRow(id: number) {
  return env.DB.prepare("SELECT status, attempts, last_error FROM alert_deliveries WHERE id = ?")
    .bind(id)
    .first<{ status: string; attempts: number; last_error: string | null }>();
}

describe("push alerts", () => {
  it("reach every browser of the member, encrypted to each and signed with the install's VAPID key", async () => {
    const { browsers, deliveryId } = await fire(2);
    const service = pushService(browsers);
    const { result } = await deliverAlert(env.DB, deliveryId, deps(service.fetch));
    expect(result?.outcome).toBe("sent");
    expect(service.received.map((r) => r.endpoint).sort()).toEqual(browsers.map((b) => b.endpoint).sort());
    const { payload } = service.received[0]!;
    expect(payload.title).toMatch(/^PROJECT-.+-1: /);
    expect(payload.body).toMatch(/new issue/i);
    expect(payload.url).toMatch(/^https:\/\/faultline\.example\/issues\/\d+\/$/);
    expect(payload.tag).toMatch(/^faultline-issue-\d+$/);
    expect((await deliveryRow(deliveryId))?.status).toBe("sent");
  });

  it("retry only the browsers whose push service asked to: each browser is notified once", async () => {
    const { browsers, deliveryId } = await fire(2);
    const service = pushService(browsers, new Map([[browsers[1]!.endpoint, [503]]]));
    const first = await deliverAlert(env.DB, deliveryId, deps(service.fetch));
    expect(first.result?.outcome).toBe("retry");
    expect(first.retryInSeconds).toBeGreaterThan(0);
    expect(service.received.map((r) => r.endpoint)).toEqual([browsers[0]!.endpoint]);
    const second = await deliverAlert(env.DB, deliveryId, deps(service.fetch));
    expect(second.result?.outcome).toBe("sent");
    expect(service.received.map((r) => r.endpoint)).toEqual([browsers[0]!.endpoint, browsers[1]!.endpoint]);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: "sent", attempts: 2 });
  });

  it("remove a subscription its push service says is gone (404, 410)", async () => {
    const { member, browsers, deliveryId } = await fire(3);
    const service = pushService(
      browsers,
      new Map([
        [browsers[0]!.endpoint, [410]],
        [browsers[2]!.endpoint, [404]],
      ]),
    );
    const { result } = await deliverAlert(env.DB, deliveryId, deps(service.fetch));
    expect(result?.outcome).toBe("sent");
    expect(result?.error).toMatch(/2 of 3 browsers: HTTP 410.*removed/);
    expect(await subscriptionsOf(member.userId)).toEqual([browsers[1]!.endpoint]);
  });

  it("fail, saying why, when the member has no browser left, has left, or the install has no VAPID key", async () => {
    const gone = await fire(1);
    await deliverAlert(env.DB, gone.deliveryId, deps(pushService(gone.browsers, new Map([[gone.browsers[0]!.endpoint, [410]]])).fetch));
    expect(await subscriptionsOf(gone.member.userId)).toEqual([]);
    expect(await deliveryRow(gone.deliveryId)).toMatchObject({ status: "failed" });

    const left = await fire(1);
    await env.DB.prepare("DELETE FROM memberships WHERE user_id = ?").bind(left.member.userId).run();
    const service = pushService(left.browsers);
    const { result } = await deliverAlert(env.DB, left.deliveryId, deps(service.fetch));
    expect(result).toMatchObject({ outcome: "failed", error: expect.stringMatching(/no browser with notifications/) });
    expect(service.received).toEqual([]);

    const unkeyed = await fire(1);
    const noKey = await deliverAlert(env.DB, unkeyed.deliveryId, deps(pushService(unkeyed.browsers).fetch, { vapid: undefined }));
    expect(noKey.result).toMatchObject({ outcome: "failed", error: expect.stringMatching(/no VAPID keys/) });
  });
});
