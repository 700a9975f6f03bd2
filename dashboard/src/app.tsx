import { useEffect } from "preact/hooks";
import { Layout } from "./components/layout";
import { lazyPage } from "./lazy-page";
import { matchRoute } from "./page-routes";
import { IssueStreamPage } from "./pages/issue-stream-page";
import { LoginPage } from "./pages/login-page";
import { navigate, useLocation } from "./router";
import { refreshSession, useSession } from "./session";

// The login, the layout and the issue stream (where a login lands) come with the first load;
// every other page is its own chunk, fetched when first shown.
const AlertRulesPage = lazyPage(() => import("./pages/alert-rules-page").then((m) => m.AlertRulesPage));
const CronsPage = lazyPage(() => import("./pages/crons-page").then((m) => m.CronsPage));
const MonitorPage = lazyPage(() => import("./pages/crons-page").then((m) => m.MonitorPage));
const FeedbackPage = lazyPage(() => import("./pages/feedback-page").then((m) => m.FeedbackPage));
const IngestProblemsPage = lazyPage(() => import("./pages/ingest-problems-page").then((m) => m.IngestProblemsPage));
const InvitePage = lazyPage(() => import("./pages/invite-page").then((m) => m.InvitePage));
const IssuePage = lazyPage(() => import("./pages/issue-page").then((m) => m.IssuePage));
const OrganizationSettingsPage = lazyPage(() => import("./pages/organization-settings-page").then((m) => m.OrganizationSettingsPage));
const PerformancePage = lazyPage(() => import("./pages/performance-page").then((m) => m.PerformancePage));
const ProjectSettingsPage = lazyPage(() => import("./pages/project-settings-page").then((m) => m.ProjectSettingsPage));
const ProjectSetupPage = lazyPage(() => import("./pages/project-setup-page").then((m) => m.ProjectSetupPage));
const ProjectsPage = lazyPage(() => import("./pages/projects-page").then((m) => m.ProjectsPage));
const ReleasePage = lazyPage(() => import("./pages/releases-page").then((m) => m.ReleasePage));
const ReleasesPage = lazyPage(() => import("./pages/releases-page").then((m) => m.ReleasesPage));
const SetupPage = lazyPage(() => import("./pages/setup-page").then((m) => m.SetupPage));
const TracePage = lazyPage(() => import("./pages/trace-page").then((m) => m.TracePage));
const TransactionPage = lazyPage(() => import("./pages/transaction-page").then((m) => m.TransactionPage));
const UptimeMonitorPage = lazyPage(() => import("./pages/uptime-monitor-page").then((m) => m.UptimeMonitorPage));

void refreshSession();

export function App() {
  const loc = useLocation();
  const session = useSession();
  const route = matchRoute(loc.path);

  // Every page but login, setup and invites needs a session; the way back is kept in `next`.
  useEffect(() => {
    if (session.status !== "anonymous" || route.public) return;
    navigate(session.setupRequired ? "/setup" : `/login?next=${encodeURIComponent(loc.href)}`, { replace: true });
  }, [session, route.public, loc.href]);

  useEffect(() => {
    if (session.status === "ready" && route.name === "home") {
      const org = session.current.organizations[0];
      navigate(org === undefined ? "/organizations/-/projects" : `/organizations/${encodeURIComponent(org.slug)}/issues`, {
        replace: true,
      });
    }
  }, [session, route.name]);

  if (route.name === "login") return <LoginPage />;
  if (route.name === "setup") return <SetupPage />;
  if (route.name === "invite") return <InvitePage token={route.params.token!} />;
  if (session.status !== "ready")
    return (
      <p class="loading" role="status">
        Loading…
      </p>
    );

  const p = route.params;
  let page;
  switch (route.name) {
    case "projects":
      page = <ProjectsPage org={p.org!} />;
      break;
    case "project-setup":
      page = <ProjectSetupPage org={p.org!} project={p.project!} />;
      break;
    case "project-settings":
      page = <ProjectSettingsPage org={p.org!} project={p.project!} />;
      break;
    case "ingest-problems":
      page = <IngestProblemsPage org={p.org!} project={p.project!} />;
      break;
    case "alert-rules":
      page = <AlertRulesPage org={p.org!} project={p.project!} />;
      break;
    case "issues":
      page = <IssueStreamPage org={p.org!} />;
      break;
    case "issue":
      page = <IssuePage org={p.org!} issueId={p.issueId!} />;
      break;
    case "issue-permalink":
      page = <IssuePage org={null} issueId={p.issueId!} />;
      break;
    case "crons":
      page = <CronsPage org={p.org!} />;
      break;
    case "monitor":
      page = <MonitorPage org={p.org!} slug={p.slug!} />;
      break;
    case "uptime-monitor":
      page = <UptimeMonitorPage org={p.org!} project={p.project!} id={p.id!} />;
      break;
    case "feedback":
      page = <FeedbackPage org={p.org!} />;
      break;
    case "releases":
      page = <ReleasesPage org={p.org!} />;
      break;
    case "release":
      page = <ReleasePage org={p.org!} version={p.version!} />;
      break;
    case "performance":
      page = <PerformancePage org={p.org!} />;
      break;
    case "transaction":
      page = <TransactionPage org={p.org!} />;
      break;
    case "trace":
      page = <TracePage org={p.org!} traceId={p.traceId!} />;
      break;
    case "organization-settings":
      page = <OrganizationSettingsPage org={p.org!} />;
      break;
    case "home":
      page = <p class="loading">Loading…</p>;
      break;
    default:
      page = (
        <section>
          <h1>Not found</h1>
          <p>There is no page at this address.</p>
        </section>
      );
  }
  return (
    <Layout current={session.current} org={p.org ?? session.current.organizations[0]?.slug ?? null} section={route.name}>
      {page}
    </Layout>
  );
}
