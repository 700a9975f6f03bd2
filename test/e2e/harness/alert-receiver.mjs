// A stand-in for chat platforms and webhook receivers on a loopback port, for the end-to-end
// alert test and `npm run bench:alerts`. Every request is kept with when it arrived; webhooks
// are checked against Sentry's signature scheme (hex HMAC-SHA256 of the raw body).
//
//   POST /ok/<name>           200 "ok"
//   POST /ratelimited/<name>  429 with Retry-After: 1 the first time, then 200
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

export async function startAlertReceiver(options = {}) {
  let secret = options.secret ?? null;
  const requests = [];
  const seen = new Map();
  const waiters = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const arrivedAt = Date.now();
      const body = Buffer.concat(chunks).toString("utf8");
      const [, behaviour, name] = req.url.split("/");
      const count = (seen.get(req.url) ?? 0) + 1;
      seen.set(req.url, count);
      const signatureValid = secret === null ? null : verifySignature(secret, body, req.headers["sentry-hook-signature"]);
      let status = 200;
      if (behaviour === "ratelimited" && count === 1) status = 429;
      requests.push({ name, behaviour, status, headers: req.headers, body, arrivedAt, signatureValid });
      if (status === 429) res.writeHead(429, { "retry-after": "1" }).end("rate limited");
      else res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      for (const check of waiters) check();
    });
  });
  await new Promise((ready) => server.listen(0, "127.0.0.1", ready));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    url: (behaviour, name) => `${origin}/${behaviour}/${name}`,
    /** The secret webhooks are checked against from now on (the API makes it when the rule is created). */
    setSecret(value) {
      secret = value;
    },
    requests,
    /** Resolves with the requests matching `filter` once there are `count` of them; rejects after `timeoutMs`. */
    waitFor(filter, count, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const matching = requests.filter(filter);
          if (matching.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(matching);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`only ${requests.filter(filter).length} of ${count} requests arrived within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function verifySignature(secret, body, signature) {
  const expected = Buffer.from(createHmac("sha256", secret).update(body, "utf8").digest("hex"));
  const given = Buffer.from(String(signature ?? ""));
  return given.length === expected.length && timingSafeEqual(given, expected);
}
