/**
 * Every page of the dashboard. The app renders from this table, and the end-to-end test walks
 * it to check that each page sends a visitor without a session to the login page.
 */
export const PAGE_ROUTES = [
  { name: "login", pattern: "/login", public: true },
  { name: "setup", pattern: "/setup", public: true },
  { name: "invite", pattern: "/invite/:token", public: true },
  { name: "home", pattern: "/", public: false },
  { name: "projects", pattern: "/organizations/:org/projects", public: false },
  { name: "project-setup", pattern: "/organizations/:org/projects/:project/getting-started", public: false },
  { name: "project-settings", pattern: "/organizations/:org/projects/:project/settings", public: false },
  { name: "ingest-problems", pattern: "/organizations/:org/projects/:project/ingest-problems", public: false },
  { name: "alert-rules", pattern: "/organizations/:org/projects/:project/alerts", public: false },
  { name: "issues", pattern: "/organizations/:org/issues", public: false },
  { name: "crons", pattern: "/organizations/:org/crons", public: false },
  { name: "monitor", pattern: "/organizations/:org/crons/:slug", public: false },
  { name: "uptime-monitor", pattern: "/organizations/:org/crons/uptime/:project/:id", public: false },
  { name: "feedback", pattern: "/organizations/:org/feedback", public: false },
  { name: "issue", pattern: "/organizations/:org/issues/:issueId", public: false },
  // Sentry's permalink form, which the API's `permalink` field uses.
  { name: "issue-permalink", pattern: "/issues/:issueId", public: false },
  { name: "releases", pattern: "/organizations/:org/releases", public: false },
  { name: "release", pattern: "/organizations/:org/releases/:version", public: false },
  { name: "performance", pattern: "/organizations/:org/performance", public: false },
  { name: "transaction", pattern: "/organizations/:org/performance/summary", public: false },
  { name: "trace", pattern: "/organizations/:org/traces/:traceId", public: false },
  { name: "organization-settings", pattern: "/organizations/:org/settings", public: false },
] as const;

export type PageName = (typeof PAGE_ROUTES)[number]["name"];

export interface RouteMatch {
  name: PageName | "not-found";
  params: Record<string, string>;
  public: boolean;
}

export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/").filter(Boolean);
  const got = path.split("/").filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const part = want[i]!;
    let value: string;
    try {
      value = decodeURIComponent(got[i]!);
    } catch {
      return null;
    }
    if (part.startsWith(":")) params[part.slice(1)] = value;
    else if (part !== value) return null;
  }
  return params;
}

export function matchRoute(path: string): RouteMatch {
  for (const route of PAGE_ROUTES) {
    const params = matchPath(route.pattern, path);
    if (params !== null) return { name: route.name, params, public: route.public };
  }
  return { name: "not-found", params: {}, public: false };
}
