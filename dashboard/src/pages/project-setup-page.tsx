import { useState } from "preact/hooks";
import { seg } from "../api-client";
import type { Project, ProjectKey } from "../api-types";
import { CopyButton } from "../components/copy-button";
import { DsnView } from "../components/dsn-view";
import { FormError } from "../components/form-error";
import { Link } from "../router";
import { PLATFORMS } from "../sdk-snippets";
import { useApi } from "../use-api";

/** The DSN and a ready setup snippet for each SDK. */
export function ProjectSetupPage({ org, project }: { org: string; project: string }) {
  const details = useApi<Project>(`/api/0/projects/${seg(org)}/${seg(project)}/`);
  const keys = useApi<ProjectKey[]>(`/api/0/projects/${seg(org)}/${seg(project)}/keys/`);
  const [chosen, setChosen] = useState<string | null>(null);
  const key = keys.data?.find((k) => k.isActive) ?? keys.data?.[0];
  const platformId = chosen ?? PLATFORMS.find((p) => p.id === details.data?.platform)?.id ?? PLATFORMS[0]!.id;
  const platform = PLATFORMS.find((p) => p.id === platformId)!;
  // The snippets keep a placeholder where no DSN can be shown.
  const dsn = key?.dsn.public ?? "<your DSN>";

  return (
    <section aria-labelledby="setup-title">
      <div class="page-head">
        <h1 id="setup-title">Send errors to {details.data?.name ?? project}</h1>
        <Link href={`/organizations/${seg(org)}/issues?project=${seg(details.data?.id ?? "")}`}>View issues</Link>
      </div>
      <FormError error={keys.error ?? details.error} />
      <div class="card">
        <h2>DSN</h2>
        {key === undefined ? (
          <p>{keys.loading ? "Loading…" : "This project has no DSN key: create one in its settings."}</p>
        ) : (
          <DsnView dsn={key.dsn} />
        )}
        {key !== undefined && !key.isActive && <p class="form-error">This key is disabled: events sent with it are refused.</p>}
      </div>
      <div class="card">
        <h2>Set up the SDK</h2>
        <div role="tablist" aria-label="Platform" class="tabs">
          {PLATFORMS.map((p) => (
            <button
              key={p.id}
              type="button"
              role="tab"
              id={`tab-${p.id}`}
              aria-selected={p.id === platformId}
              aria-controls="snippet-panel"
              tabIndex={p.id === platformId ? 0 : -1}
              class="tab"
              onClick={() => setChosen(p.id)}
              onKeyDown={(e) => {
                const i = PLATFORMS.findIndex((x) => x.id === platformId);
                const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
                if (step === 0) return;
                e.preventDefault();
                const next = PLATFORMS[(i + step + PLATFORMS.length) % PLATFORMS.length]!;
                setChosen(next.id);
                document.getElementById(`tab-${next.id}`)?.focus();
              }}
            >
              {p.label}
            </button>
          ))}
        </div>
        <div id="snippet-panel" role="tabpanel" aria-labelledby={`tab-${platform.id}`}>
          <p>Install:</p>
          <div class="copy-row">
            <pre class="code">{platform.install}</pre>
            <CopyButton text={platform.install} />
          </div>
          <p>Initialize it once, at startup:</p>
          <div class="copy-row">
            <pre class="code" data-testid="snippet">
              {platform.code(dsn)}
            </pre>
            <CopyButton text={platform.code(dsn)} />
          </div>
        </div>
      </div>
    </section>
  );
}
