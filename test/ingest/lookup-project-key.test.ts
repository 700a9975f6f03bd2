import { SELF, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { lookupProjectKey } from "../../worker/lookup-project-key";
import { seedProject } from "../support/seed";

// Times are passed in, far from the wall clock, so each test owns its cache entries' lifetimes.
const T0 = 4_000_000_000_000;

describe("lookupProjectKey", () => {
  it("answers a known key from the cache until its TTL ends, then reads D1 again", async () => {
    const key = await seedProject();
    expect((await lookupProjectKey(env.DB, key.publicKey, 1000, T0))?.enabled).toBe(true);
    await env.DB.prepare("UPDATE project_keys SET enabled = 0 WHERE id = ?").bind(key.keyId).run();
    expect((await lookupProjectKey(env.DB, key.publicKey, 1000, T0 + 999))?.enabled).toBe(true);
    expect((await lookupProjectKey(env.DB, key.publicKey, 1000, T0 + 1000))?.enabled).toBe(false);
  });

  it("remembers an unknown key for a fifth of the TTL", async () => {
    const { projectId } = await seedProject();
    const publicKey = crypto.randomUUID().replace(/-/g, "");
    expect(await lookupProjectKey(env.DB, publicKey, 1000, T0)).toBeNull();
    await env.DB.prepare(
      "INSERT INTO project_keys (project_id, public_key, enabled, allowed_origins, created_at) VALUES (?, ?, 1, '[]', ?)",
    )
      .bind(projectId, publicKey, Date.now())
      .run();
    expect(await lookupProjectKey(env.DB, publicKey, 1000, T0 + 199)).toBeNull();
    expect((await lookupProjectKey(env.DB, publicKey, 1000, T0 + 200))?.projectId).toBe(projectId);
  });

  it("reads D1 once for concurrent lookups of one key", async () => {
    const key = await seedProject();
    let prepared = 0;
    const counting = new Proxy(env.DB, {
      get(target, name) {
        if (name === "prepare") {
          return (sql: string) => {
            prepared += 1;
            return target.prepare(sql);
          };
        }
        const value = Reflect.get(target, name);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const found = await Promise.all([1, 2, 3].map(() => lookupProjectKey(counting, key.publicKey, 1000, T0)));
    expect(found.map((k) => k?.id)).toEqual([key.keyId, key.keyId, key.keyId]);
    expect(prepared).toBe(1);
  });

  it("answers an over-long key as unknown without asking D1", async () => {
    const refusing = { prepare: () => expect.unreachable("D1 was asked") } as unknown as D1Database;
    expect(await lookupProjectKey(refusing, "k".repeat(257), 1000, T0)).toBeNull();
    expect(await lookupProjectKey(refusing, "k".repeat(3_000_000), 1000, T0)).toBeNull();
  });
});

describe("the ingest endpoint, for an envelope whose dsn names a key of megabytes", () => {
  it("answers 401 unknown_key rather than failing the D1 query", async () => {
    const key = await seedProject();
    const body = `${JSON.stringify({ dsn: `https://${"k".repeat(3_000_000)}@ingest.test/${key.projectId}` })}\n{"type":"event"}\n{}`;
    const res = await SELF.fetch(`http://ingest.test/api/${key.projectId}/envelope/`, { method: "POST", body });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { reason: string }).reason).toBe("unknown_key");
  });
});
