import type { IngestOrigin } from "./ingest-origin";
import type { OrganizationRow, ProjectKeyRow, ProjectListRow, ProjectRow } from "./project-queries";

/**
 * Projects, organizations and DSN keys in the shapes of Sentry's Web API
 * (https://docs.sentry.io/api/projects/list-your-projects/,
 * https://docs.sentry.io/api/projects/list-a-projects-client-keys/). Ids are strings, times ISO
 * 8601. Fields about features Faultline does not have (teams, bookmarks, avatars) keep Sentry's
 * neutral values so clients that read them do not break.
 */
export function serializeOrganization(org: OrganizationRow) {
  return {
    id: String(org.id),
    slug: org.slug,
    name: org.name,
    dateCreated: iso(org.createdAt),
    status: { id: "active", name: "active" },
    isEarlyAdopter: false,
    require2FA: false,
    avatar: { avatarType: "letter_avatar", avatarUuid: null },
  };
}

export function serializeProject(project: ProjectRow | ProjectListRow) {
  return {
    id: String(project.id),
    slug: project.slug,
    name: project.name,
    platform: project.platform,
    dateCreated: iso(project.createdAt),
    firstEvent: "firstEvent" in project && project.firstEvent !== null ? iso(project.firstEvent) : null,
    status: "active",
    isPublic: false,
    isBookmarked: false,
    isMember: true,
    hasAccess: true,
    isInternal: false,
    features: [],
    avatar: { avatarType: "letter_avatar", avatarUuid: null },
    organization: serializeOrganization(project.organization),
  };
}

/** The short project reference issues and events carry. */
export function serializeProjectRef(project: { id: number; slug: string; name: string; platform?: string | null }) {
  return { id: String(project.id), slug: project.slug, name: project.name, platform: project.platform ?? null };
}

/**
 * A DSN key. Sentry's key id is the public key itself. Faultline keys have no secret half (SDKs
 * stopped sending one years ago), so there is no `secret` DSN. When the ingest address is not
 * known, `dsn.public` is null and `dsn.detail` says what to do (see ingest-origin.ts).
 */
export function serializeProjectKey(key: ProjectKeyRow, ingest: IngestOrigin) {
  return {
    id: key.publicKey,
    name: key.label,
    label: key.label,
    public: key.publicKey,
    projectId: key.projectId,
    isActive: key.enabled,
    // Sentry's rate limit is a count per window in seconds; Faultline's keys count per minute.
    rateLimit: key.rateLimitPerMinute === null ? null : { window: 60, count: key.rateLimitPerMinute },
    dsn: ingest.url === null ? { public: null, detail: ingest.detail } : { public: publicDsn(key.publicKey, key.projectId, ingest.url) },
    dateCreated: iso(key.createdAt),
  };
}

/** `{PROTOCOL}://{PUBLIC_KEY}@{HOST}{PATH}/{PROJECT_ID}` (https://develop.sentry.dev/sdk/overview/#parsing-the-dsn). */
export function publicDsn(publicKey: string, projectId: number, ingestOrigin: URL): string {
  const path = ingestOrigin.pathname.replace(/\/+$/, "");
  return `${ingestOrigin.protocol}//${publicKey}@${ingestOrigin.host}${path}/${projectId}`;
}

/** 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z: the times ISO 8601's four-digit years can write. */
const FIRST_ISO_MS = -62_167_219_200_000;
const END_ISO_MS = 253_402_300_800_000;

/**
 * A stored time (ms) as ISO 8601, or null when it is not one ISO 8601 can write: a row written
 * before the digest checked times, or by hand, must not make a read fail (toISOString throws a
 * RangeError past Date's range).
 */
export function iso(ms: unknown): string | null {
  return typeof ms === "number" && ms >= FIRST_ISO_MS && ms < END_ISO_MS ? new Date(ms).toISOString() : null;
}
