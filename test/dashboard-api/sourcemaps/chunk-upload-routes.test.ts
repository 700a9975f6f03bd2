import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seedOrganization, seedToken } from "../../support/seed-issues";
import { apiRequest, postChunks, sha1Hex } from "../../support/artifact-bundles";

const NOT_FOUND = { detail: "The requested resource does not exist" };

describe("GET /api/0/organizations/{org}/chunk-upload/", () => {
  it("answers the options sentry-cli reads, with a relative url", async () => {
    const org = await seedOrganization();
    const res = await apiRequest("GET", `/organizations/${org.orgSlug}/chunk-upload/`, org.token);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      url: `/api/0/organizations/${org.orgSlug}/chunk-upload/`,
      chunkSize: 8388608,
      chunksPerRequest: 4,
      maxRequestSize: 34603008,
      maxFileSize: 41943040,
      concurrency: 4,
      hashAlgorithm: "sha1",
      compression: ["gzip"],
      accept: ["artifact_bundles", "release_files"],
    });
  });

  it("is a 404 with another organization's token, and a 401 without one", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    expect(await apiRequest("GET", `/organizations/${org.orgSlug}/chunk-upload/`, other.token)).toEqual({ status: 404, json: NOT_FOUND });
    expect((await apiRequest("GET", `/organizations/${org.orgSlug}/chunk-upload/`, "flt_not_a_token")).status).toBe(401);
  });
});

describe("POST /api/0/organizations/{org}/chunk-upload/", () => {
  const chunk = new TextEncoder().encode("a chunk of an artifact bundle");

  it("stores gzip'd and plain chunks in R2 under the organization, by sha1", async () => {
    const org = await seedOrganization();
    const name = await sha1Hex(chunk);
    const other = new TextEncoder().encode("another chunk");
    const otherName = await sha1Hex(other);
    const res = await postChunks(org.orgSlug, org.token, [
      { name, bytes: chunk },
      { name: otherName, bytes: other, field: "file" },
    ]);
    expect(res.status).toBe(200);
    const stored = await env.RAW.get(`sourcemap-chunks/${org.orgId}/${name}`);
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(chunk);
    expect(await env.RAW.head(`sourcemap-chunks/${org.orgId}/${otherName}`)).not.toBeNull();
  });

  it("refuses a chunk whose bytes do not hash to its name (400), storing nothing", async () => {
    const org = await seedOrganization();
    const wrong = "0".repeat(40);
    const res = await postChunks(org.orgSlug, org.token, [{ name: wrong, bytes: chunk }]);
    expect(res).toEqual({ status: 400, json: { detail: `chunk ${wrong}: checksum mismatch` } });
    expect(await env.RAW.head(`sourcemap-chunks/${org.orgId}/${wrong}`)).toBeNull();
  });

  it("refuses names that are not sha1s, broken gzip, too many chunks and bodies that are not multipart", async () => {
    const org = await seedOrganization();
    expect((await postChunks(org.orgSlug, org.token, [{ name: "../../etc/passwd", bytes: chunk }])).json).toEqual({
      detail: 'chunk name "../../etc/passwd" is not a sha1',
    });
    const form = new FormData();
    form.append("file_gzip", new File([new TextEncoder().encode("not gzip at all")], "a".repeat(40)));
    expect(await apiRequest("POST", `/organizations/${org.orgSlug}/chunk-upload/`, org.token, { body: form })).toEqual({
      status: 400,
      json: { detail: `chunk ${"a".repeat(40)} is not valid gzip` },
    });
    const five = await Promise.all(
      [1, 2, 3, 4, 5].map(async (i) => ({ name: await sha1Hex(new Uint8Array([i])), bytes: new Uint8Array([i]) })),
    );
    expect((await postChunks(org.orgSlug, org.token, five)).json).toEqual({ detail: "Too many chunks: at most 4 per request" });
    expect(await apiRequest("POST", `/organizations/${org.orgSlug}/chunk-upload/`, org.token, { json: { chunks: [] } })).toEqual({
      status: 400,
      json: { detail: "chunks are sent as multipart/form-data" },
    });
  });

  it("refuses a chunk larger than the chunk size, however small its gzip", async () => {
    const org = await seedOrganization();
    const big = new Uint8Array(8 * 1024 * 1024 + 1);
    const res = await postChunks(org.orgSlug, org.token, [{ name: await sha1Hex(big), bytes: big }]);
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(/^chunk [0-9a-f]{40} is over 8388608 bytes$/);
  });

  it("is a 404 for another organization's token: its chunks never land in that organization", async () => {
    const org = await seedOrganization();
    const other = await seedOrganization();
    const name = await sha1Hex(chunk);
    expect(await postChunks(org.orgSlug, other.token, [{ name, bytes: chunk }])).toEqual({ status: 404, json: NOT_FOUND });
    expect(await env.RAW.head(`sourcemap-chunks/${org.orgId}/${name}`)).toBeNull();
  });
});

describe("POST /api/0/projects/{org}/{project}/files/difs/assemble/", () => {
  it("answers `sentry-cli debug-files upload` a 400 saying what Faultline keeps, not a 404 it would blame on the project", async () => {
    const org = await seedOrganization();
    const res = await apiRequest("POST", `/projects/${org.orgSlug}/${org.projectSlug}/files/difs/assemble/`, org.token, {
      json: { ["a".repeat(40)]: { name: "app.debug", chunks: ["a".repeat(40)] } },
    });
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(/^Faultline stores JavaScript source maps only/);
    const token = await seedToken(org.orgId, { revoked: true });
    expect((await apiRequest("POST", `/projects/${org.orgSlug}/${org.projectSlug}/files/difs/assemble/`, token, { json: {} })).status).toBe(
      401,
    );
  });
});
