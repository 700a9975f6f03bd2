// A stand-in for the browsers' push services (RFC 8030) on a loopback port, for the end-to-end
// push alert test. It holds each test browser's private key, as the browser would, and checks
// every message as a real one must pass: the VAPID token (RFC 8292) is an ES256 JWT signed by
// the key it names, for this origin, not expired; the body is aes128gcm (RFC 8188) that decrypts
// with the subscription's keys (RFC 8291). Then it answers with the browser's status (201 unless
// told otherwise; 410 for one that unsubscribed).
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify } from "node:crypto";
import { createServer } from "node:http";

export async function startPushService() {
  const browsers = new Map();
  const received = [];
  const refused = [];
  const waiters = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const browser = browsers.get(req.url.split("/").pop());
      let outcome;
      try {
        if (browser === undefined) throw new Error(`no subscription at ${req.url}`);
        const vapid = checkVapid(req.headers.authorization, origin);
        if (req.headers["content-encoding"] !== "aes128gcm") throw new Error(`Content-Encoding ${req.headers["content-encoding"]}`);
        if (!(Number(req.headers.ttl) >= 0)) throw new Error("no TTL");
        const payload = JSON.parse(decrypt(Buffer.concat(chunks), browser));
        outcome = { browser: browser.name, status: browser.status, payload, vapid, headers: req.headers };
        received.push(outcome);
        res.writeHead(browser.status).end();
      } catch (err) {
        refused.push({ url: req.url, error: err.message });
        res.writeHead(400, { "content-type": "text/plain" }).end(err.message);
      }
      for (const check of waiters) check();
    });
  });
  await new Promise((ready) => server.listen(0, "127.0.0.1", ready));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    /** A browser's subscription, as PushSubscription.toJSON() gives it; its push service answers `status`. */
    subscribe(name, status = 201) {
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      const id = randomBytes(12).toString("base64url");
      const auth = randomBytes(16);
      browsers.set(id, { name, status, ecdh, auth });
      return {
        endpoint: `${origin}/push/${id}`,
        expirationTime: null,
        keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: auth.toString("base64url") },
      };
    },
    received,
    refused,
    /** Resolves with the messages for `name` once there are `count`; rejects after `timeoutMs`. */
    waitFor(name, count, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const matching = received.filter((r) => r.browser === name);
          if (matching.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(matching);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `${received.filter((r) => r.browser === name).length} of ${count} pushes to ${name}; refused: ${JSON.stringify(refused)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise((done) => server.close(done)),
  };
}

/** RFC 8292 §3: `vapid t=<jwt>, k=<key>`; the JWT's ES256 signature must hold under k. */
function checkVapid(header, audience) {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? "");
  if (match === null) throw new Error(`Authorization is not vapid: ${header}`);
  const [h, c, s] = match[1].split(".");
  const point = Buffer.from(match[2], "base64url");
  const key = createPublicKey({
    key: { kty: "EC", crv: "P-256", x: point.subarray(1, 33).toString("base64url"), y: point.subarray(33, 65).toString("base64url") },
    format: "jwk",
  });
  const signed = verify("sha256", Buffer.from(`${h}.${c}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(s, "base64url"));
  if (!signed) throw new Error("the VAPID signature does not verify");
  const jose = JSON.parse(Buffer.from(h, "base64url").toString());
  if (jose.alg !== "ES256") throw new Error(`alg ${jose.alg}`);
  const claims = JSON.parse(Buffer.from(c, "base64url").toString());
  if (claims.aud !== audience) throw new Error(`aud ${claims.aud}, not ${audience}`);
  const now = Date.now() / 1000;
  if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) throw new Error(`exp ${claims.exp} is not within 24 hours`);
  if (!/^(mailto|https):/.test(claims.sub ?? "")) throw new Error(`sub ${claims.sub}`);
  return { key: match[2], claims };
}

/** RFC 8291 §3.4 and RFC 8188 §2, as the browser reads a message. */
function decrypt(body, browser) {
  const salt = body.subarray(0, 16);
  const idLength = body[20];
  const asPublic = body.subarray(21, 21 + idLength);
  const sealed = body.subarray(21 + idLength);
  const shared = browser.ecdh.computeSecret(asPublic);
  const info = (label, ...parts) => Buffer.concat([Buffer.from(`${label}\0`), ...parts]);
  const ikm = Buffer.from(hkdfSync("sha256", shared, browser.auth, info("WebPush: info", browser.ecdh.getPublicKey(), asPublic), 32));
  const cek = Buffer.from(hkdfSync("sha256", ikm, salt, info("Content-Encoding: aes128gcm"), 16));
  const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, info("Content-Encoding: nonce"), 12));
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const padded = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  if (padded[end] !== 2) throw new Error("no last-record delimiter");
  return padded.subarray(0, end).toString("utf8");
}
