import { iso } from "../projects/serialize-project";
import type { CommitRow, DeployRow, ReleaseDetails, ReleaseRow } from "./release-queries";
import type { HealthData } from "./release-health";
import { pairKey } from "./session-queries";

/**
 * Releases, deploys and commits in the shapes of Sentry's Web API
 * (https://docs.sentry.io/api/releases/): what sentry-cli deserializes (src/api/mod.rs:
 * ReleaseInfo, ReleaseCommit; data_types/deploy.rs: Deploy) and what Sentry's serializers add.
 * Each project says whether the release has sessions there (`hasHealthData`), and with
 * `?health=1` gives its `healthData` (release-health.ts).
 */
function time(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

export interface ReleaseHealthDetails {
  /** (project, release) pairs with sessions (session-queries.ts's pairKey). */
  hasHealthData: ReadonlySet<string>;
  healthData: ReadonlyMap<string, HealthData> | null;
}

export function serializeRelease(release: ReleaseRow, details: ReleaseDetails, health: ReleaseHealthDetails) {
  return {
    id: release.id,
    version: release.version,
    shortVersion: release.version,
    status: release.status,
    ref: release.ref,
    url: release.url,
    dateCreated: time(release.dateCreated),
    dateStarted: time(release.dateStarted),
    dateReleased: time(release.dateReleased),
    firstEvent: time(details.firstEvent),
    lastEvent: time(details.lastEvent),
    newGroups: details.projects.reduce((sum, p) => sum + p.newGroups, 0),
    commitCount: release.commitCount,
    lastCommit: details.lastCommit === null ? null : serializeCommit(details.lastCommit),
    deployCount: release.deployCount,
    lastDeploy: details.lastDeploy === null ? null : serializeDeploy(details.lastDeploy),
    authors: release.authors,
    owner: null,
    data: {},
    projects: details.projects.map((p) => ({
      id: p.id,
      slug: p.slug,
      name: p.name,
      platform: p.platform,
      platforms: p.platform === null ? [] : [p.platform],
      newGroups: p.newGroups,
      hasHealthData: health.hasHealthData.has(pairKey(p.id, release.version)),
      ...(health.healthData === null ? {} : { healthData: health.healthData.get(pairKey(p.id, release.version)) ?? null }),
    })),
  };
}

export function serializeDeploy(deploy: DeployRow) {
  return {
    id: String(deploy.id),
    environment: deploy.environment,
    name: deploy.name,
    url: deploy.url,
    dateStarted: time(deploy.dateStarted),
    dateFinished: time(deploy.dateFinished),
  };
}

/**
 * A commit as Sentry's commit serializer gives it. Faultline has no repository integrations, so
 * a repository is only the name the commit came with; `previousCommit` is the previous
 * release's head when `refs` gave one.
 */
export function serializeCommit(commit: CommitRow) {
  return {
    id: commit.commitId,
    message: commit.message,
    dateCreated: time(commit.timestamp),
    author: commit.authorName === null && commit.authorEmail === null ? null : { name: commit.authorName, email: commit.authorEmail },
    repository:
      commit.repository === null
        ? null
        : { name: commit.repository, url: null, provider: { id: "unknown", name: "Unknown Provider" }, status: "active" },
    previousCommit: commit.previousCommitId,
  };
}
