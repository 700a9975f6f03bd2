import { useEffect } from "preact/hooks";
import { Layout } from "./components/layout";
import { AlertRulesPage } from "./pages/alert-rules-page";
import { CronsPage, MonitorPage } from "./pages/crons-page";
import { FeedbackPage } from "./pages/feedback-page";
import { matchRoute } from "./page-routes";
import { IngestProblemsPage } from "./pages/ingest-problems-page";
import { InvitePage } from "./pages/invite-page";
import { IssuePage } from "./pages/issue-page";
import { IssueStreamPage } from "./pages/issue-stream-page";
import { LoginPage } from "./pages/login-page";
import { OrganizationSettingsPage } from "./pages/organization-settings-page";
import { PerformancePage } from "./pages/performance-page";
import { ProjectSettingsPage } from "./pages/project-settings-page";
import { ProjectSetupPage } from "./pages/project-setup-page";
import { ProjectsPage } from "./pages/projects-page";
import { ReleasePage, ReleasesPage } from "./pages/releases-page";
import { SetupPage } from "./pages/setup-page";
import { TracePage } from "./pages/trace-page";
import { TransactionPage } from "./pages/transaction-page";
import { navigate, useLocation } from "./router";
import { refreshSession, useSession } from "./session";

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
