import type { ComponentChildren } from "preact";
import { send } from "../api-client";
import type { CurrentUser } from "../api-types";
import { Link, navigate } from "../router";
import { setLoggedOut } from "../session";

export function Layout({
  current,
  org,
  section,
  children,
}: {
  current: CurrentUser;
  org: string | null;
  section: string;
  children: ComponentChildren;
}) {
  const logOut = async () => {
    await send("POST", "/auth/logout").catch(() => undefined);
    setLoggedOut();
    navigate("/login", { replace: true });
  };
  const base = org === null ? null : `/organizations/${encodeURIComponent(org)}`;
  const here = (names: string[]) => (names.includes(section) ? "page" : undefined);
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top-bar">
        <Link href="/" class="brand">
          Faultline
        </Link>
        {base !== null && (
          <nav aria-label="Main">
            <Link href={`${base}/issues`} aria-current={here(["issues", "issue", "issue-permalink"])}>
              Issues
            </Link>
            <Link href={`${base}/releases`} aria-current={here(["releases", "release"])}>
              Releases
            </Link>
            <Link href={`${base}/performance`} aria-current={here(["performance", "transaction", "trace"])}>
              Performance
            </Link>
            <Link href={`${base}/crons`} aria-current={here(["crons", "monitor", "uptime-monitor"])}>
              Crons
            </Link>
            <Link href={`${base}/feedback`} aria-current={here(["feedback"])}>
              Feedback
            </Link>
            <Link
              href={`${base}/projects`}
              aria-current={here(["projects", "project-setup", "project-settings", "ingest-problems", "alert-rules"])}
            >
              Projects
            </Link>
            <Link href={`${base}/settings`} aria-current={here(["organization-settings"])}>
              Settings
            </Link>
          </nav>
        )}
        <div class="top-bar-end">
          {current.organizations.length > 1 && (
            <label class="org-switch">
              <span class="visually-hidden">Organization</span>
              <select value={org ?? ""} onChange={(e) => navigate(`/organizations/${encodeURIComponent(e.currentTarget.value)}/issues`)}>
                {current.organizations.map((o) => (
                  <option key={o.slug} value={o.slug}>
                    {o.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <span class="muted" title={current.user.email}>
            {current.user.name ?? current.user.email}
          </span>
          <button type="button" class="button small" onClick={logOut}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
