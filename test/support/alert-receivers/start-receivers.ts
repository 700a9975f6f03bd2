// Stand-ins for Slack, Discord, Teams and a Sentry-compatible webhook receiver, on a loopback
// port, for the Workers-runtime tests (vitest globalSetup: this runs in Node, and workerd's fetch
// reaches it). Each URL names a behaviour, a platform and a key the test picks:
//
//   POST /<behaviour>/<platform>/<key>   behaviour: ok | flaky (503 twice, then ok) |
//                                        ratelimited (429 with Retry-After: 7 once, then ok) |
//                                        hang (never answers) | gone (410) | down (500)
//   POST /__secret/<key>                 the webhook secret to verify signatures against
//   GET  /__log/<key>                    every request received for the key, with its verdict
//
// A body that breaks its platform's documented shape or limits is refused the way the platform
// refuses it (400), as is a webhook whose signature does not verify (401).
import { createHmac, timingSafeEqual } from "node:crypto";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { TestProject } from "vitest/node";
import { type Platform, platformProblems } from "./platform-shapes";

declare module "vitest" {
  export interface ProvidedContext {
    alertReceiverUrl: string;
  }
}

export interface ReceivedRequest {
  behaviour: string;
  platform: string;
  headers: Record<string, string>;
  body: string;
  status: number;
  problems: string[];
}

const PLATFORMS = new Set(["slack", "discord", "teams", "webhook"]);
// What each platform answers on success: Slack "ok" (https://api.slack.com/messaging/webhooks),
// Discord 204 without ?wait=true, a Teams workflow 202 Accepted.
const SUCCESS: Record<Platform, { status: number; body: string }> = {
  slack: { status: 200, body: "ok" },
  discord: { status: 204, body: "" },
  teams: { status: 202, body: "" },
  webhook: { status: 200, body: "{}" },
};

export default async function startReceivers(project: TestProject) {
  const log = new Map<string, ReceivedRequest[]>();
  const secrets = new Map<string, string>();
  const seen = new Map<string, number>();

  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const [, first, second, third] = new URL(req.url ?? "/", "http://receiver").pathname.split("/");
    if (req.method === "GET" && first === "__log" && second)
      return reply(res, 200, JSON.stringify(log.get(second) ?? []), "application/json");
    if (req.method === "POST" && first === "__secret" && second) {
      secrets.set(second, body);
      return reply(res, 204, "");
    }
    if (req.method !== "POST" || !first || !second || !third || !PLATFORMS.has(second)) return reply(res, 404, "no such receiver");
    const [behaviour, platform, key] = [first, second as Platform, third];
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]));
    const record = (status: number, problems: string[] = []) => {
      log.set(key, [...(log.get(key) ?? []), { behaviour, platform, headers, body, status, problems }]);
    };

    if (behaviour === "hang") {
      record(0);
      return; // never answered; the socket is destroyed when the server closes
    }
    if (behaviour === "gone") return (record(410), reply(res, 410, "channel_is_archived"));
    if (behaviour === "down") return (record(500), reply(res, 500, "internal error"));
    if (behaviour === "flaky" && count <= 2) return (record(503), reply(res, 503, "service unavailable"));
    if (behaviour === "ratelimited" && count === 1) {
      record(429);
      res.writeHead(429, { "retry-after": "7", "content-type": "application/json" });
      return res.end(JSON.stringify({ message: "You are being rate limited.", retry_after: 7, global: false }));
    }

    const problems = platformProblems(platform, body);
    if (platform === "webhook") problems.push(...signatureProblems(headers, body, secrets.get(key)));
    if (problems.length > 0) {
      const status = problems.some((p) => p.startsWith("signature")) ? 401 : 400;
      record(status, problems);
      return reply(res, status, platform === "slack" ? "invalid_blocks" : JSON.stringify({ problems }));
    }
    record(SUCCESS[platform].status);
    return reply(res, SUCCESS[platform].status, SUCCESS[platform].body);
  });

  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("receivers: no port");
  project.provide("alertReceiverUrl", `http://127.0.0.1:${address.port}`);
  return () =>
    new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
}

/** Sentry's scheme: hex HMAC-SHA256 of the raw body with the client secret, in Sentry-Hook-Signature. */
function signatureProblems(headers: Record<string, string>, body: string, secret: string | undefined): string[] {
  if (secret === undefined) return ["signature: no secret registered for this key"];
  const problems: string[] = [];
  if (headers["sentry-hook-resource"] !== "event_alert") problems.push("signature: Sentry-Hook-Resource is not event_alert");
  if (!/^\d{10}$/.test(headers["sentry-hook-timestamp"] ?? "")) problems.push("signature: Sentry-Hook-Timestamp is not Unix seconds");
  const expected = Buffer.from(createHmac("sha256", secret).update(body, "utf8").digest("hex"));
  const given = Buffer.from(headers["sentry-hook-signature"] ?? "");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    problems.push("signature: Sentry-Hook-Signature does not match the body");
  return problems;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => done(Buffer.concat(chunks).toString("utf8")));
    req.on("error", fail);
  });
}

function reply(res: ServerResponse, status: number, body: string, type = "text/plain"): void {
  res.writeHead(status, body === "" ? {} : { "content-type": type });
  res.end(body);
}
