import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { extractCredentials, parseDsn, parseSentryAuthHeader } from "../../worker/extract-credentials";
import { RefusedError } from "../../worker/refusal";
import { seedProject } from "../support/seed";

const none = { authHeader: null, authorization: null, queryKey: null, envelopeDsn: undefined };

function rejectionOf(f: () => unknown) {
  try {
    f();
  } catch (e) {
    if (e instanceof RefusedError) return e.refusal;
    throw e;
  }
  throw new Error("expected a rejection");
}

describe("parseSentryAuthHeader", () => {
  it("reads the pairs SDKs send, with and without spaces or quotes", () => {
    const pairs = parseSentryAuthHeader('Sentry sentry_key=abc,sentry_version=7, sentry_client="raven-python/6.10", sentry_secret=s');
    expect(pairs.get("sentry_key")).toBe("abc");
    expect(pairs.get("sentry_version")).toBe("7");
    expect(pairs.get("sentry_client")).toBe("raven-python/6.10");
    expect(pairs.get("sentry_secret")).toBe("s");
  });
});

describe("parseDsn", () => {
  it("reads key and numeric project id, with a path prefix and a legacy secret", () => {
    expect(parseDsn("https://pub@o1.ingest.example.com/42")).toEqual({ publicKey: "pub", projectId: 42 });
    expect(parseDsn("http://pub:secret@localhost:8787/sentry/7")).toEqual({ publicKey: "pub", projectId: 7 });
  });
  it("refuses DSNs SDKs would refuse", () => {
    expect(parseDsn("https://o1.example.com/42")).toBeNull();
    expect(parseDsn("https://pub@o1.example.com/project")).toBeNull();
    expect(parseDsn("not a url")).toBeNull();
  });
  it("refuses a key whose percent-escapes do not decode, and decodes those that do", () => {
    expect(parseDsn("http://%E0%A4%A@host/1")).toBeNull();
    expect(parseDsn("http://%ZZ@host/1")).toBeNull();
    expect(parseDsn("http://pub%ZZ:secret@host/1")).toBeNull();
    expect(parseDsn("http://p%75b@host/1")).toEqual({ publicKey: "pub", projectId: 1 });
  });
});

describe("extractCredentials", () => {
  it("takes each single source", () => {
    expect(extractCredentials({ ...none, authHeader: "Sentry sentry_key=a" }).publicKey).toBe("a");
    expect(extractCredentials({ ...none, authorization: "Sentry sentry_key=b" }).publicKey).toBe("b");
    expect(extractCredentials({ ...none, queryKey: "c" }).publicKey).toBe("c");
    expect(extractCredentials({ ...none, envelopeDsn: "https://d@x.example/3" })).toEqual({ publicKey: "d", dsnProjectId: 3 });
  });
  it("accepts agreeing sources and refuses disagreeing ones", () => {
    expect(
      extractCredentials({ ...none, authHeader: "Sentry sentry_key=a", queryKey: "a", envelopeDsn: "https://a@x.example/1" }).publicKey,
    ).toBe("a");
    expect(rejectionOf(() => extractCredentials({ ...none, authHeader: "Sentry sentry_key=a", queryKey: "b" })).reason).toBe(
      "conflicting_auth",
    );
  });
  it("takes an old DSN's public key and ignores its secret", () => {
    const authHeader = "Sentry sentry_version=4, sentry_key=pub, sentry_secret=secret";
    expect(extractCredentials({ ...none, authHeader })).toEqual({ publicKey: "pub", dsnProjectId: null });
    expect(extractCredentials({ ...none, authHeader, envelopeDsn: "http://pub:secret@x.example/3" })).toEqual({
      publicKey: "pub",
      dsnProjectId: 3,
    });
  });
  it("ignores a Bearer Authorization header", () => {
    expect(rejectionOf(() => extractCredentials({ ...none, authorization: "Bearer token" })).status).toBe(401);
  });
  it("refuses an X-Sentry-Auth without a key and a malformed dsn", () => {
    expect(rejectionOf(() => extractCredentials({ ...none, authHeader: "Sentry sentry_version=7" })).status).toBe(401);
    expect(rejectionOf(() => extractCredentials({ ...none, envelopeDsn: 42 })).status).toBe(400);
  });
  it("refuses a dsn whose key does not decode as a malformed envelope, whatever else names a key", () => {
    for (const envelopeDsn of ["http://%E0%A4%A@host/1", "http://%ZZ@host/1"]) {
      const expected = { status: 400, reason: "malformed_envelope", detail: "envelope header dsn is not a valid DSN" };
      expect(rejectionOf(() => extractCredentials({ ...none, envelopeDsn }))).toEqual(expected);
      expect(rejectionOf(() => extractCredentials({ ...none, queryKey: "a", envelopeDsn }))).toEqual(expected);
    }
  });
});

describe("the ingest endpoint, for an envelope whose dsn does not decode", () => {
  for (const user of ["%E0%A4%A", "%ZZ"]) {
    it(`answers 400 with a reason for a dsn key of ${user}, with or without a key in the query`, async () => {
      const key = await seedProject();
      const body = `${JSON.stringify({ dsn: `http://${user}@host/${key.projectId}` })}\n{"type":"event"}\n{"message":"hi"}`;
      for (const query of ["", `?sentry_key=${key.publicKey}`]) {
        const res = await SELF.fetch(`http://ingest.test/api/${key.projectId}/envelope/${query}`, { method: "POST", body });
        expect(res.status).toBe(400);
        expect(res.headers.get("retry-after")).toBeNull();
        expect(await res.json()).toEqual({ reason: "malformed_envelope", detail: "envelope header dsn is not a valid DSN" });
      }
    });
  }
});
