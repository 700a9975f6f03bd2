import { Hono } from "hono";
import { z } from "zod";
import type { ApiEnv } from "../api-env";
import { badRequest, notFound } from "../api-error";
import { database, organizationInScope, projectInScope } from "../route-scope";
import { readJsonBody, validateInput } from "../validate-input";
import { listProjectBundles, organizationProjectIds, projectSourceMapBytes, removeBundleFromProject } from "./artifact-bundle-queries";
import { DEFAULT_SOURCE_MAP_BYTES_PER_PROJECT, assembleArtifactBundle } from "./assemble-artifact-bundle";

/**
 * Artifact bundles: the assembly sentry-cli asks for after its chunks
 * (POST /organizations/{org}/artifactbundle/assemble/), and a project's bundles for its
 * "Source maps" settings page, listed and deleted as Sentry's
 * /projects/{org}/{project}/files/artifact-bundles/ does.
 */
export const artifactBundleRoutes = new Hono<ApiEnv>({ strict: false });

const sha1 = z
  .string()
  .regex(/^[0-9a-fA-F]{40}$/, "not a sha1")
  .transform((s) => s.toLowerCase());

/** sentry-cli's ChunkedArtifactRequest (src/api/data_types/chunking/artifact.rs). */
const assembleBody = z.object({
  checksum: sha1,
  chunks: z.array(sha1).max(1000),
  projects: z
    .array(z.union([z.string().max(100), z.number().int()]))
    .min(1, "name at least one project")
    .max(100),
  version: z.string().trim().max(250).optional(),
  dist: z.string().trim().max(64).optional(),
});

artifactBundleRoutes.post("/organizations/:org/artifactbundle/assemble", async (c) => {
  const org = await organizationInScope(c);
  const body = validateInput(assembleBody, await readJsonBody(c.req.raw));
  const refs = body.projects.map(String);
  const projectIds = await organizationProjectIds(database(c), org.id, refs);
  if (projectIds.size !== new Set(refs).size) badRequest("One or more projects are invalid");
  const answer = await assembleArtifactBundle(
    database(c),
    c.env.RAW,
    {
      organizationId: org.id,
      checksum: body.checksum,
      chunks: body.chunks,
      projectIds: [...new Set(projectIds.values())],
      release: body.version || null,
      dist: body.dist || null,
      projectQuotaBytes: sourceMapBytesPerProject(c.env),
      projectSlugs: new Map([...projectIds].map(([ref, id]) => [id, ref])),
    },
    Date.now(),
  );
  return c.json(answer);
});

const BUNDLES_PER_PAGE = 100;

artifactBundleRoutes.get("/projects/:org/:project/files/artifact-bundles", async (c) => {
  const project = await projectInScope(c);
  const bundles = await listProjectBundles(database(c), project.id, BUNDLES_PER_PAGE);
  return c.json(
    bundles.map((b) => ({
      bundleId: b.bundleId ?? b.checksum,
      checksum: b.checksum,
      release: b.release,
      dist: b.dist === "" ? null : b.dist,
      associations: b.release === null ? [] : [{ release: b.release, dist: b.dist === "" ? null : b.dist }],
      debugIds: b.debugIds,
      fileCount: b.fileCount,
      size: b.size,
      date: new Date(b.dateAdded).toISOString(),
    })),
  );
});

/** The dashboard's `SOURCE_MAP_BYTES_PER_PROJECT`, when it is a positive number of bytes. */
export function sourceMapBytesPerProject(bindings: { SOURCE_MAP_BYTES_PER_PROJECT?: string }): number {
  const value = Number(bindings.SOURCE_MAP_BYTES_PER_PROJECT);
  return Number.isSafeInteger(value) && value > 0 ? value : DEFAULT_SOURCE_MAP_BYTES_PER_PROJECT;
}

/**
 * Faultline's own: what the project's bundles take against its size limit, and how long an
 * unused bundle is kept (the project's retention; 0 keeps them), for the "Source maps" settings.
 */
artifactBundleRoutes.get("/projects/:org/:project/files/artifact-bundles/usage", async (c) => {
  const project = await projectInScope(c);
  const { bytes, bundles, retentionDays } = await projectSourceMapBytes(database(c), project.id);
  return c.json({ bundles, usedBytes: bytes, limitBytes: sourceMapBytesPerProject(c.env), retentionDays });
});

/** `?bundleId=`: the bundle leaves the project; its files go once no project keeps it. */
artifactBundleRoutes.delete("/projects/:org/:project/files/artifact-bundles", async (c) => {
  const project = await projectInScope(c);
  const bundleId = c.req.query("bundleId") ?? badRequest("bundleId: required");
  const keys = await removeBundleFromProject(database(c), project.organization.id, project.id, bundleId.toLowerCase());
  if (keys === null) notFound();
  for (let i = 0; i < keys.length; i += 1000) await c.env.RAW.delete(keys.slice(i, i + 1000));
  return c.body(null, 204);
});
