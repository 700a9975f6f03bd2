import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seedOrganization, seedProjectIn } from "../../support/seed-issues";
import {
  DEBUG_ID,
  apiRequest,
  assemble,
  debugIdBundle,
  makeBundle,
  postChunks,
  releaseUrlBundle,
  sha1Hex,
  uploadBundle,
} from "../../support/artifact-bundles";

const NOT_FOUND = { detail: "The requested resource does not exist" };

async function bundleRows(orgId: number) {
  const { results } = await env.DB.prepare(
    "SELECT id, checksum, bundle_id, release, dist, file_count, size FROM artifact_bundles WHERE organization_id = ? ORDER BY id",
  )
    .bind(orgId)
    .all();
  return results;
}

async function fileRows(orgId: number) {
  const { results } = await env.DB.prepare(
    `SELECT f.file_type, f.url, f.debug_id, f.sourcemap, f.object_key, f.size FROM artifact_bundle_files f
     JOIN artifact_bundles b ON b.id = f.artifact_bundle_id WHERE b.organization_id = ? ORDER BY f.id`,
  )
    .bind(orgId)
    .all<{ object_key: string; url: string }>();
  return results;
}

async function linkedProjects(orgId: number) {
  const { results } = await env.DB.prepare(
    "SELECT p.project_id FROM artifact_bundle_projects p JOIN artifact_bundles b ON b.id = p.artifact_bundle_id WHERE b.organization_id = ? ORDER BY p.project_id",
  )
    .bind(orgId)
    .all<{ project_id: number }>();
  return results.map((r) => r.project_id);
}

describe("POST /api/0/organizations/{org}/artifactbundle/assemble/", () => {
  it("takes sentry-cli's upload of an injected build: missing chunks first, then the bundle indexed by debug id, its files in R2", async () => {
    const org = await seedOrganization();
    const bundle = debugIdBundle();
    const checksum = await sha1Hex(bundle);
    const { first, last } = await uploadBundle(org, bundle, { projects: [org.projectSlug] });
    expect(first).toEqual({ status: 200, json: { state: "not_found", missingChunks: [checksum], detail: null } });
    expect(last).toEqual({ status: 200, json: { state: "ok", missingChunks: [], detail: null } });

    expect(await bundleRows(org.orgId)).toEqual([
      {
        id: expect.any(Number),
        checksum,
        bundle_id: "6de358b8-1713-5b5d-a25a-633b9dbd280d",
        release: null,
        dist: "",
        file_count: 2,
        size: 1673,
      },
    ]);
    const files = await fileRows(org.orgId);
    expect(files).toEqual([
      {
        file_type: "minified_source",
        url: "~/app.min.js",
        debug_id: DEBUG_ID,
        sourcemap: "app.min.js.map",
        object_key: `sourcemaps/${org.orgId}/bundles/${checksum}/0`,
        size: 609,
      },
      {
        file_type: "source_map",
        url: "~/app.min.js.map",
        debug_id: DEBUG_ID,
        sourcemap: null,
        object_key: `sourcemaps/${org.orgId}/bundles/${checksum}/1`,
        size: 1064,
      },
    ]);
    const map = await env.RAW.get(files[1]!.object_key);
    expect(JSON.parse(await map!.text()).sources).toEqual(["../app/src/config.js", "../app/src/main.js"]);
    expect(await linkedProjects(org.orgId)).toEqual([org.projectId]);
    // The chunks are gone once assembled.
    expect(await env.RAW.head(`sourcemap-chunks/${org.orgId}/${checksum}`)).toBeNull();
  });

  it("a re-upload of the same bundle is a no-op: ok at once, nothing to send, no new rows; for another project it links that project", async () => {
    const org = await seedOrganization();
    const bundle = debugIdBundle();
    await uploadBundle(org, bundle, { projects: [org.projectSlug] });
    const again = await uploadBundle(org, bundle, { projects: [org.projectSlug] });
    expect(again.first.json).toEqual({ state: "ok", missingChunks: [], detail: null });
    expect(await bundleRows(org.orgId)).toHaveLength(1);
    expect(await fileRows(org.orgId)).toHaveLength(2);

    const web = await seedProjectIn(org.orgId, "web-2");
    const linked = await uploadBundle(org, bundle, { projects: ["web-2", String(org.projectId)] });
    expect(linked.first.json.state).toBe("ok");
    expect(await linkedProjects(org.orgId)).toEqual([org.projectId, web].sort((a, b) => a - b));
    expect(await fileRows(org.orgId)).toHaveLength(2);
  });

  it("refuses an upload that would take a project past its size limit with the error state sentry-cli prints, storing nothing", async () => {
    const org = await seedOrganization();
    const bindings = { SOURCE_MAP_BYTES_PER_PROJECT: "1700" };
    const kept = await uploadBundle(org, debugIdBundle(), { projects: [org.projectSlug], bindings });
    expect(kept.last.json.state).toBe("ok");

    const bundle = releaseUrlBundle();
    const over = await uploadBundle(org, bundle, { projects: [org.projectSlug], version: "1.0.0", dist: "web1", bindings });
    expect(over.last).toEqual({
      status: 200,
      json: {
        state: "error",
        missingChunks: [],
        detail: expect.stringMatching(
          new RegExp(
            `^project ${org.projectSlug} would keep [\\d.]+ KiB of source maps, over its limit of 1\\.7 KiB \\(it keeps 1\\.6 KiB, this upload is [\\d.]+ KiB\\): delete bundles in the project's Source maps settings$`,
          ),
        ),
      },
    });
    expect(await bundleRows(org.orgId)).toHaveLength(1);
    expect(await fileRows(org.orgId)).toHaveLength(2);
    expect(await env.RAW.head(`sourcemap-chunks/${org.orgId}/${await sha1Hex(bundle)}`)).toBeNull();

    // What a project keeps already is not refused again, even under a lower limit; a project
    // that would take it on is.
    const lower = { SOURCE_MAP_BYTES_PER_PROJECT: "1000" };
    expect((await uploadBundle(org, debugIdBundle(), { projects: [org.projectSlug], bindings: lower })).last.json.state).toBe("ok");
    await seedProjectIn(org.orgId, "web-2");
    const linking = await uploadBundle(org, debugIdBundle(), { projects: [org.projectSlug, "web-2"], bindings: lower });
    expect(linking.first.json).toMatchObject({ state: "error", detail: expect.stringMatching(/^project web-2 would keep 1\.6 KiB/) });
    expect(await linkedProjects(org.orgId)).toEqual([org.projectId]);

    // Without the setting, a project may keep 1 GiB.
    expect((await uploadBundle(org, bundle, { projects: [org.projectSlug], version: "1.0.0", dist: "web1" })).last.json.state).toBe("ok");
  });

  it("counts a re-upload of a bundle as a use of it, at most once a day", async () => {
    const org = await seedOrganization();
    await uploadBundle(org, debugIdBundle(), { projects: [org.projectSlug] });
    const lastUsed = async () =>
      (await env.DB.prepare("SELECT last_used_at FROM artifact_bundles WHERE organization_id = ?")
        .bind(org.orgId)
        .first<{ last_used_at: number | null }>())!.last_used_at;
    expect(await lastUsed()).toBeNull();
    await uploadBundle(org, debugIdBundle(), { projects: [org.projectSlug] });
    expect(await lastUsed()).toBeNull();

    const longAgo = Date.now() - 40 * 86_400_000;
    await env.DB.prepare("UPDATE artifact_bundles SET date_added = ?, last_used_at = ? WHERE organization_id = ?")
      .bind(longAgo, longAgo, org.orgId)
      .run();
    const before = Date.now();
    await uploadBundle(org, debugIdBundle(), { projects: [org.projectSlug] });
    expect(await lastUsed()).toBeGreaterThanOrEqual(before);
  });

  it("keeps the release and dist of `sourcemaps upload --release --dist --url-prefix`", async () => {
    const org = await seedOrganization();
    const { last } = await uploadBundle(org, releaseUrlBundle(), { projects: [org.projectSlug], version: "1.0.0", dist: "web1" });
    expect(last.json.state).toBe("ok");
    expect(await bundleRows(org.orgId)).toMatchObject([{ release: "1.0.0", dist: "web1", file_count: 2 }]);
    expect((await fileRows(org.orgId)).map((f) => f.url)).toEqual(["~/dist/app.min.js", "~/dist/app.min.js.map"]);
  });

  it("assembles a bundle of many chunks in their order", async () => {
    const org = await seedOrganization();
    const bundle = debugIdBundle();
    const { first, last } = await uploadBundle(org, bundle, { projects: [org.projectSlug], chunkSize: 500 });
    expect(first.json.missingChunks).toHaveLength(4);
    expect(last.json.state).toBe("ok");
    expect(await fileRows(org.orgId)).toHaveLength(2);
  });

  it("answers every chunk never uploaded as missing, and assembles nothing", async () => {
    const org = await seedOrganization();
    const chunks = ["1".repeat(40), "2".repeat(40)];
    const res = await assemble(org.orgSlug, org.token, { checksum: "3".repeat(40), chunks, projects: [org.projectSlug] });
    expect(res).toEqual({ status: 200, json: { state: "not_found", missingChunks: chunks, detail: null } });
    expect(await bundleRows(org.orgId)).toEqual([]);
  });

  it("never assembles another organization's chunks: they are missing for this one", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    const bundle = debugIdBundle();
    const checksum = await sha1Hex(bundle);
    expect((await postChunks(other.orgSlug, other.token, [{ name: checksum, bytes: bundle }])).status).toBe(200);
    const res = await assemble(org.orgSlug, org.token, { checksum, chunks: [checksum], projects: [org.projectSlug] });
    expect(res.json).toEqual({ state: "not_found", missingChunks: [checksum], detail: null });
  });

  it("refuses chunks whose whole does not hash to the checksum (400), and drops them", async () => {
    const org = await seedOrganization();
    const bundle = debugIdBundle();
    const name = await sha1Hex(bundle);
    await postChunks(org.orgSlug, org.token, [{ name, bytes: bundle }]);
    const res = await assemble(org.orgSlug, org.token, { checksum: "f".repeat(40), chunks: [name], projects: [org.projectSlug] });
    expect(res).toEqual({ status: 400, json: { detail: "the chunks' sha1 is not the bundle's checksum" } });
    expect(await env.RAW.head(`sourcemap-chunks/${org.orgId}/${name}`)).toBeNull();
    expect(await bundleRows(org.orgId)).toEqual([]);
  });

  it("refuses a bundle that is not one, or whose manifest points outside it or at missing files (400), storing nothing", async () => {
    const org = await seedOrganization();
    const cases: Array<[Uint8Array, string]> = [
      [new TextEncoder().encode("just some text"), "invalid artifact bundle: not an artifact bundle (neither a source bundle nor a zip)"],
      [
        makeBundle({ files: {} }, { "files/../../../x.js": "x" }),
        'invalid artifact bundle: "files/../../../x.js": a path outside the bundle',
      ],
      [
        makeBundle({ files: { "files/app.js.map": { type: "source_map", url: "~/app.js.map" } } }, {}),
        'invalid artifact bundle: manifest.json lists "files/app.js.map", which the bundle does not hold',
      ],
    ];
    for (const [bundle, detail] of cases) {
      const { last } = await uploadBundle(org, bundle, { projects: [org.projectSlug] });
      expect(last).toEqual({ status: 400, json: { detail } });
    }
    expect(await bundleRows(org.orgId)).toEqual([]);
    expect((await env.RAW.list({ prefix: `sourcemaps/${org.orgId}/` })).objects).toEqual([]);
  });

  it("refuses a bundle of more chunks than the largest bundle before anything is uploaded", async () => {
    const org = await seedOrganization();
    const chunks = Array.from({ length: 6 }, (_, i) => String(i).repeat(40));
    const res = await assemble(org.orgSlug, org.token, { checksum: "a".repeat(40), chunks, projects: [org.projectSlug] });
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(/^the bundle is over 40 MiB/);
  });

  it("refuses unknown projects, another organization's projects, and bodies that are not sentry-cli's", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    const body = { checksum: "a".repeat(40), chunks: ["a".repeat(40)] };
    expect(await assemble(org.orgSlug, org.token, { ...body, projects: ["nope"] })).toEqual({
      status: 400,
      json: { detail: "One or more projects are invalid" },
    });
    expect(await assemble(org.orgSlug, org.token, { ...body, projects: [other.projectSlug] })).toEqual({
      status: 400,
      json: { detail: "One or more projects are invalid" },
    });
    expect((await assemble(org.orgSlug, org.token, { ...body, checksum: "xyz", projects: [org.projectSlug] })).json).toEqual({
      detail: "checksum: not a sha1",
    });
    expect((await assemble(org.orgSlug, org.token, { ...body, projects: [] })).json).toEqual({
      detail: "projects: name at least one project",
    });
    expect(
      await apiRequest("POST", `/organizations/${org.orgSlug}/artifactbundle/assemble/`, org.token, {
        body: "{",
        contentType: "application/json",
      }),
    ).toEqual({
      status: 400,
      json: { detail: "body: not valid JSON" },
    });
  });

  it("is a 404 with another organization's token", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    const res = await assemble(org.orgSlug, other.token, {
      checksum: "a".repeat(40),
      chunks: ["a".repeat(40)],
      projects: [org.projectSlug],
    });
    expect(res).toEqual({ status: 404, json: NOT_FOUND });
  });
});

describe("/api/0/projects/{org}/{project}/files/artifact-bundles/", () => {
  it("lists the project's bundles, newest first, with their debug ids, release, size and upload time", async () => {
    const org = await seedOrganization();
    await uploadBundle(org, debugIdBundle(), { projects: [org.projectSlug] });
    await uploadBundle(org, releaseUrlBundle(), { projects: [org.projectSlug], version: "1.0.0", dist: "web1" });
    const res = await apiRequest("GET", `/projects/${org.orgSlug}/${org.projectSlug}/files/artifact-bundles/`, org.token);
    expect(res.status).toBe(200);
    expect(res.json).toEqual([
      {
        bundleId: "4d6e2520-cf37-5fbe-a3bb-1614742e5e24",
        checksum: await sha1Hex(releaseUrlBundle()),
        release: "1.0.0",
        dist: "web1",
        associations: [{ release: "1.0.0", dist: "web1" }],
        debugIds: [],
        fileCount: 2,
        size: expect.any(Number),
        date: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      {
        bundleId: "6de358b8-1713-5b5d-a25a-633b9dbd280d",
        checksum: await sha1Hex(debugIdBundle()),
        release: null,
        dist: null,
        associations: [],
        debugIds: [DEBUG_ID],
        fileCount: 2,
        size: 1673,
        date: expect.any(String),
      },
    ]);
    const other = await seedOrganization();
    expect((await apiRequest("GET", `/projects/${org.orgSlug}/${org.projectSlug}/files/artifact-bundles/`, other.token)).status).toBe(404);
  });

  it("says what the project's bundles take against its size limit, and how long unused ones are kept", async () => {
    const org = await seedOrganization();
    const path = `/projects/${org.orgSlug}/${org.projectSlug}/files/artifact-bundles/usage/`;
    expect(await apiRequest("GET", path, org.token)).toEqual({
      status: 200,
      json: { bundles: 0, usedBytes: 0, limitBytes: 1024 * 1024 * 1024, retentionDays: 90 },
    });
    await uploadBundle(org, debugIdBundle(), { projects: [org.projectSlug] });
    expect(await apiRequest("GET", path, org.token, { bindings: { SOURCE_MAP_BYTES_PER_PROJECT: "5000" } })).toEqual({
      status: 200,
      json: { bundles: 1, usedBytes: 1673, limitBytes: 5000, retentionDays: 90 },
    });
    const other = await seedOrganization();
    expect((await apiRequest("GET", path, other.token)).status).toBe(404);
  });

  it("deletes a bundle: off the project, and rows and R2 files once no project keeps it", async () => {
    const org = await seedOrganization();
    const second = await seedProjectIn(org.orgId, "second");
    await uploadBundle(org, debugIdBundle(), { projects: [org.projectSlug, "second"] });
    const keys = (await fileRows(org.orgId)).map((f) => f.object_key);
    const path = (slug: string) => `/projects/${org.orgSlug}/${slug}/files/artifact-bundles/?bundleId=6de358b8-1713-5b5d-a25a-633b9dbd280d`;

    expect((await apiRequest("DELETE", path(org.projectSlug), org.token)).status).toBe(204);
    expect(await linkedProjects(org.orgId)).toEqual([second]);
    expect(await env.RAW.head(keys[0]!)).not.toBeNull();

    expect((await apiRequest("DELETE", path("second"), org.token)).status).toBe(204);
    expect(await bundleRows(org.orgId)).toEqual([]);
    expect(await fileRows(org.orgId)).toEqual([]);
    for (const key of keys) expect(await env.RAW.head(key)).toBeNull();
    expect(await apiRequest("DELETE", path("second"), org.token)).toEqual({ status: 404, json: NOT_FOUND });
  });
});
