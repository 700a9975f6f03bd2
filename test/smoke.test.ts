import { SELF } from "cloudflare:test";
import { expect, it } from "vitest";
it("health", async () => {
  const r = await SELF.fetch("http://ingest.test/health");
  expect(r.status).toBe(200);
});
