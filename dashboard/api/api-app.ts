import { Hono } from "hono";
import { alertRulesRoutes } from "./alert-rules/alert-rules-routes";
import { apiIndexRoutes } from "./auth/api-index-routes";
import type { ApiEnv } from "./api-env";
import { ApiError, NOT_FOUND, apiErrorResponse } from "./api-error";
import { apiTokenRoutes } from "./members/api-token-routes";
import { authenticateSession } from "./auth/authenticate-session";
import { authenticateToken } from "./auth/authenticate-token";
import { discoverRoutes } from "./discover/discover-routes";
import { traceRoutes } from "./traces/trace-routes";
import { eventsRoutes } from "./events/events-routes";
import { feedbackRoutes } from "./feedback/feedback-routes";
import { ingestProblemsRoutes } from "./ingest-problems/ingest-problems-routes";
import { issueReprocessingRoutes } from "./issues/issue-reprocessing-routes";
import { issuesRoutes } from "./issues/issues-routes";
import { keyRoutes } from "./projects/key-routes";
import { membersRoutes } from "./members/members-routes";
import { pushSubscriptionRoutes } from "./members/push-subscription-routes";
import { notificationSettingsRoutes } from "./members/notification-settings-routes";
import { monitorsRoutes } from "./monitors/monitors-routes";
import { uptimeRoutes } from "./uptime/uptime-routes";
import { organizationsRoutes } from "./organizations/organizations-routes";
import { projectSettingsRoutes } from "./projects/project-settings-routes";
import { projectsRoutes } from "./projects/projects-routes";
import { deploysRoutes } from "./releases/deploys-routes";
import { projectReleasesRoutes } from "./releases/project-releases-routes";
import { releasesRoutes } from "./releases/releases-routes";
import { requirePrincipal } from "./auth/require-principal";
import { artifactBundleRoutes } from "./sourcemaps/artifact-bundle-routes";
import { chunkUploadRoutes } from "./sourcemaps/chunk-upload-routes";

/**
 * Faultline's read API: the subset of Sentry's Web API (https://docs.sentry.io/api/) that tools
 * written for Sentry use to read projects, keys, issues and events, served at /api/0 by the
 * dashboard's Pages Functions. Every route needs a principal: an organization's API token, or
 * the dashboard's session cookie (see session-routes.ts for logging in).
 */
export const apiApp = new Hono<ApiEnv>({ strict: false }).basePath("/api/0");

apiApp.use("*", requirePrincipal(authenticateToken, authenticateSession));

apiApp.route("/", organizationsRoutes);
apiApp.route("/", projectsRoutes);
apiApp.route("/", issuesRoutes);
apiApp.route("/", issueReprocessingRoutes);
apiApp.route("/", eventsRoutes);
apiApp.route("/", discoverRoutes);
apiApp.route("/", traceRoutes);
// The dashboard's settings pages: projects, keys, ingest problems, members and API tokens.
apiApp.route("/", projectSettingsRoutes);
apiApp.route("/", keyRoutes);
apiApp.route("/", ingestProblemsRoutes);
apiApp.route("/", membersRoutes);
apiApp.route("/", apiTokenRoutes);
apiApp.route("/", alertRulesRoutes);
apiApp.route("/", pushSubscriptionRoutes);
apiApp.route("/", notificationSettingsRoutes);
// Cron monitors and their check-ins.
apiApp.route("/", monitorsRoutes);
// Uptime monitors, their checks and stats.
apiApp.route("/", uptimeRoutes);
// User feedback and the attachments (screenshots) sent with it.
apiApp.route("/", feedbackRoutes);
// Releases, deploys and commits, as sentry-cli and the bundler plugins drive them.
apiApp.route("/", apiIndexRoutes);
apiApp.route("/", releasesRoutes);
apiApp.route("/", deploysRoutes);
apiApp.route("/", projectReleasesRoutes);

// Source map uploads (sentry-cli sourcemaps upload) and the project's bundles.
apiApp.route("/", chunkUploadRoutes);
apiApp.route("/", artifactBundleRoutes);

apiApp.notFound((c) => c.json({ detail: NOT_FOUND }, 404));
apiApp.onError((err) => {
  if (err instanceof ApiError) return apiErrorResponse(err);
  console.error("api: request failed", err);
  return Response.json({ detail: "Internal error" }, { status: 500 });
});
