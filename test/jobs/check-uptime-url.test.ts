import { describe, expect, it } from "vitest";
import {
  MAX_BODY_BYTES,
  type UptimeTarget,
  checkUptimeUrl,
  isInternalHost,
  uptimeUrlProblem,
} from "../../queue-consumer/jobs/check-uptime-url";

const target = (changes: Partial<UptimeTarget> = {}): UptimeTarget => ({
  url: "https://shop.example.com/health",
  method: "GET",
  expectedStatus: [200, 299],
  timeoutMs: 5_000,
  bodyKeyword: null,
  ...changes,
});

/** A fake origin: answers each request with what `answer` gives, and keeps the requests. */
function origin(answer: (request: Request) => Response | Promise<Response>) {
  const requests: Request[] = [];
  let clock = 0;
  return {
    requests,
    deps: {
      fetch: async (request: Request) => {
        requests.push(request);
        clock += 7;
        return answer(request);
      },
      now: () => clock,
      allowPrivate: false,
    },
  };
}

/** A body that never ends: counts what was pulled from it. */
function endlessBody() {
  let pulled = 0;
  const chunk = new Uint8Array(64 * 1024).fill(120);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { body, pulled: () => pulled };
}

describe("checkUptimeUrl", () => {
  it("is ok for a status in the expected range, with the latency to its headers", async () => {
    const { deps, requests } = origin(() => new Response(null, { status: 204 }));
    expect(await checkUptimeUrl(target(), deps)).toEqual({ status: "ok", httpStatus: 204, latencyMs: 7, reason: null });
    expect(requests[0]!.method).toBe("GET");
    expect(requests[0]!.redirect).toBe("manual");
  });

  it("fails on a status outside the range, naming it", async () => {
    const { deps } = origin(() => new Response("down", { status: 503 }));
    expect(await checkUptimeUrl(target(), deps)).toMatchObject({
      status: "error",
      httpStatus: 503,
      reason: "status 503, expected 200–299",
    });
  });

  it("looks for the keyword in at most 1 MiB of a 5 GB body, and stops reading", async () => {
    const endless = endlessBody();
    const { deps } = origin(() => new Response(endless.body, { status: 200 }));
    const result = await checkUptimeUrl(target({ bodyKeyword: "healthy" }), deps);
    expect(result).toMatchObject({ status: "error", reason: `the first ${MAX_BODY_BYTES} bytes do not contain the keyword` });
    expect(endless.pulled()).toBeLessThan(MAX_BODY_BYTES * 2);
    const found = origin(() => new Response("<p>all systems healthy</p>"));
    expect(await checkUptimeUrl(target({ bodyKeyword: "healthy" }), found.deps)).toMatchObject({ status: "ok" });
  });

  it("times out a server that never answers, and one that never finishes its body", async () => {
    const hang = origin(() => new Promise<Response>(() => {}));
    expect(await checkUptimeUrl(target({ timeoutMs: 20 }), hang.deps)).toMatchObject({ status: "error", reason: "no answer within 20 ms" });
    const trickle = origin(() => new Response(new ReadableStream({ pull: () => new Promise(() => {}) })));
    expect(await checkUptimeUrl(target({ timeoutMs: 20, bodyKeyword: "x" }), trickle.deps)).toMatchObject({
      status: "error",
      httpStatus: null,
      reason: "no answer within 20 ms",
    });
  });

  it("follows redirects by hand, fails a loop, and never follows one to an internal address", async () => {
    const loop = origin((r) => new Response(null, { status: 302, headers: { location: r.url } }));
    expect(await checkUptimeUrl(target(), loop.deps)).toMatchObject({ status: "error", reason: "more than 5 redirects" });
    expect(loop.requests).toHaveLength(6);

    const moved = origin((r) =>
      r.url.endsWith("/health") ? new Response(null, { status: 301, headers: { location: "/v2/ping" } }) : new Response("ok"),
    );
    expect(await checkUptimeUrl(target(), moved.deps)).toMatchObject({ status: "ok", httpStatus: 200 });
    expect(moved.requests.map((r) => new URL(r.url).pathname)).toEqual(["/health", "/v2/ping"]);

    const inward = origin(() => new Response(null, { status: 302, headers: { location: "http://169.254.169.254/latest/meta-data/" } }));
    expect(await checkUptimeUrl(target(), inward.deps)).toMatchObject({
      status: "error",
      reason: "redirected to a URL that cannot be watched: 169.254.169.254 is a loopback, private or internal address",
    });
    expect(inward.requests).toHaveLength(1);
  });

  it("turns a network failure into a failed check, never a throw", async () => {
    const { deps } = origin(() => Promise.reject(new TypeError("connection refused")));
    expect(await checkUptimeUrl(target(), deps)).toMatchObject({ status: "error", reason: "request failed: connection refused" });
  });
});

describe("uptimeUrlProblem", () => {
  it("takes only http(s) URLs without credentials to public hosts, unless local development allows private ones", () => {
    expect(uptimeUrlProblem("https://shop.example.com/", false)).toBeNull();
    expect(uptimeUrlProblem("ftp://shop.example.com/", false)).toBe("only http and https URLs can be watched");
    expect(uptimeUrlProblem("https://user:pw@shop.example.com/", false)).toBe("a URL with credentials cannot be watched");
    expect(uptimeUrlProblem("not a url", false)).toBe("not a URL");
    expect(uptimeUrlProblem("http://127.0.0.1:8080/", false)).toMatch(/internal address$/);
    expect(uptimeUrlProblem("http://127.0.0.1:8080/", true)).toBeNull();
  });

  it("knows loopback, private, link-local and internal hosts in every spelling the URL parser leaves", () => {
    const internal = [
      "http://localhost/",
      "http://api.localhost/",
      "http://printer.local/",
      "http://intranet/",
      "http://127.1/",
      "http://2130706433/",
      "http://0x7f.0.0.1/",
      "http://10.1.2.3/",
      "http://172.20.0.1/",
      "http://192.168.1.1/",
      "http://169.254.169.254/",
      "http://100.64.0.1/",
      "http://0.0.0.0/",
      "http://[::1]/",
      "http://[fd00::1]/",
      "http://[fe80::1]/",
      "http://[::ffff:127.0.0.1]/",
      "http://metadata.google.internal/",
    ];
    for (const url of internal) expect(isInternalHost(new URL(url).hostname), url).toBe(true);
    for (const url of ["http://93.184.216.34/", "http://[2606:4700::1111]/", "https://example.com/", "http://172.32.0.1/"])
      expect(isInternalHost(new URL(url).hostname), url).toBe(false);
  });
});
