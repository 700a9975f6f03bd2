import { env } from "cloudflare:test";

export interface SeededKey {
  projectId: number;
  keyId: number;
  publicKey: string;
}

let counter = 0;

/** A fresh organization, project and DSN key, unique per call so tests never share cached keys. */
export async function seedProject(
  options: { enabled?: boolean; rateLimitPerMinute?: number | null; allowedOrigins?: string[] } = {},
): Promise<SeededKey> {
  counter += 1;
  const tag = `${Date.now().toString(36)}${counter}${Math.random().toString(36).slice(2, 8)}`;
  const now = Date.now();
  const org = await env.DB.prepare("INSERT INTO organizations (slug, name, created_at) VALUES (?, ?, ?) RETURNING id")
    .bind(`org-${tag}`, `Org ${tag}`, now)
    .first<{ id: number }>();
  const project = await env.DB.prepare("INSERT INTO projects (organization_id, slug, name, created_at) VALUES (?, ?, ?, ?) RETURNING id")
    .bind(org?.id, `project-${tag}`, `Project ${tag}`, now)
    .first<{ id: number }>();
  const publicKey = `k${tag}`.padEnd(32, "0").slice(0, 32);
  const key = await env.DB.prepare(
    "INSERT INTO project_keys (project_id, public_key, enabled, rate_limit_per_minute, allowed_origins, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
  )
    .bind(
      project?.id,
      publicKey,
      options.enabled === false ? 0 : 1,
      options.rateLimitPerMinute ?? null,
      JSON.stringify(options.allowedOrigins ?? []),
      now,
    )
    .first<{ id: number }>();
  if (!project || !key) throw new Error("seeding failed");
  return { projectId: project.id, keyId: key.id, publicKey };
}
