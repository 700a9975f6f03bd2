import { Hono } from "hono";
import { z } from "zod";
import type { ApiEnv } from "../api-env";
import { badRequest } from "../api-error";
import { keysetPage, linkHeader, parseCursor } from "../cursor-pagination";
import { database } from "../route-scope";
import { readJsonBody, validateInput } from "../validate-input";
import { createDeploy, listDeploys } from "./deploy-queries";
import { newDeployBody, pageSize } from "./release-input";
import { linkedProjectIds } from "./release-queries";
import { releaseInScope } from "./releases-routes";
import { serializeDeploy } from "./serialize-release";

/**
 * A release's deploys (https://docs.sentry.io/api/releases/list-a-releases-deploys/,
 * https://docs.sentry.io/api/releases/create-a-new-deploy-for-an-organization/): what
 * `sentry-cli deploys new|list` send and read.
 */
export const deploysRoutes = new Hono<ApiEnv>({ strict: false });

const BASE = "/organizations/:org/releases/:version/deploys";

deploysRoutes.get(BASE, async (c) => {
  const { release } = await releaseInScope(c);
  const { per_page: limit, cursor: rawCursor } = validateInput(z.object({ per_page: pageSize, cursor: z.string().optional() }), {
    per_page: c.req.query("per_page"),
    cursor: c.req.query("cursor"),
  });
  const cursor = parseCursor(rawCursor);
  const rows = await listDeploys(database(c), release.id, cursor, limit);
  const page = keysetPage(rows, limit, cursor, (d) => ({ value: d.dateFinished, id: d.id }));
  c.header("Link", linkHeader(c.req.url, page));
  return c.json(page.items.map(serializeDeploy));
});

deploysRoutes.post(BASE, async (c) => {
  const { release, orgProjects } = await releaseInScope(c);
  const input = validateInput(newDeployBody, await readJsonBody(c.req.raw));
  const db = database(c);
  if (input.projects) {
    // A deploy names projects of its release only (sentry-cli's `deploys new --project`).
    const linked = await linkedProjectIds(
      db,
      release,
      orgProjects.map((p) => p.id),
    );
    const stranger = input.projects.find((slug) => !orgProjects.some((p) => p.slug === slug && linked.includes(p.id)));
    if (stranger !== undefined) badRequest(`projects: ${JSON.stringify(stranger)} is not a project of release ${release.version}`);
  }
  const deploy = await createDeploy(db, release.id, {
    environment: input.environment,
    name: input.name || null,
    url: input.url ?? null,
    dateStarted: input.dateStarted ?? null,
    dateFinished: input.dateFinished ?? Date.now(),
  });
  return c.json(serializeDeploy(deploy), 201);
});
