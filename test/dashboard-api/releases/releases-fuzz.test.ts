import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { seedOrganization } from "../../support/seed-issues";
import { call, releasePath } from "../../support/release-api";

describe("nothing a client sends makes the release routes fail", () => {
  it("answers any JSON body to every write route with a 2xx or a 4xx", async () => {
    const org = await seedOrganization();
    await call("POST", `/organizations/${org.orgSlug}/releases/`, org.token, { version: "1.0", projects: [org.projectSlug] });
    const routes: Array<[string, string]> = [
      ["POST", `/organizations/${org.orgSlug}/releases/`],
      ["PUT", releasePath(org.orgSlug, "1.0")],
      ["POST", releasePath(org.orgSlug, "1.0", "deploys/")],
      ["POST", `/projects/${org.orgSlug}/${org.projectSlug}/releases/`],
      ["PUT", `/projects/${org.orgSlug}/${org.projectSlug}/releases/1.0/`],
    ];
    // Bodies shaped like the real ones: each field mostly a value the route takes, sometimes any
    // JSON at all, so most bodies get past all but one check; and any JSON body.
    const anyValue = fc.oneof(fc.jsonValue(), fc.string(), fc.integer());
    const field = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: anyValue });
    const isoDate = fc.date({ min: new Date(0), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString());
    const version = fc.oneof(fc.constantFrom("1.0", "app@1.0.0+build 7"), fc.string({ minLength: 1, maxLength: 210 }));
    const commit = fc.record(
      {
        id: field(fc.stringMatching(/^[0-9a-f]{1,64}$/)),
        repository: field(fc.string()),
        timestamp: field(isoDate),
        message: field(fc.string()),
        author_name: field(fc.string()),
        author_email: field(fc.string()),
      },
      { requiredKeys: ["id"] },
    );
    const ref = fc.record(
      { repository: field(fc.string()), commit: field(fc.string()), previousCommit: field(fc.string()) },
      { requiredKeys: ["repository", "commit"] },
    );
    const releaseLike = fc.record(
      {
        version: field(version),
        projects: field(fc.array(fc.oneof(fc.constant(org.projectSlug), fc.constant(org.projectId)), { maxLength: 2 })),
        url: field(fc.constantFrom("https://ci.example.com/1", "", null)),
        ref: field(fc.string()),
        dateReleased: field(fc.oneof(isoDate, fc.constant(null))),
        dateStarted: field(isoDate),
        status: field(fc.constantFrom("open", "archived")),
        commits: field(fc.array(commit, { maxLength: 3 })),
        refs: field(fc.array(ref, { maxLength: 3 })),
        environment: field(fc.constantFrom("production", "staging")),
        name: field(fc.string({ maxLength: 64 })),
        dateFinished: field(isoDate),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.oneof(releaseLike, fc.jsonValue()), async ([method, path], body) => {
        const res = await call(method, path, org.token, JSON.stringify(body));
        expect(res.status, `${method} ${path} ${JSON.stringify(body).slice(0, 300)}`).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
  });
});
