import { useState } from "preact/hooks";
import { send } from "../api-client";
import {
  INTERVAL_UNITS,
  type IntervalUnit,
  type MonitorDraft,
  type MonitorOf,
  emptyMonitorDraft,
  monitorBody,
  monitorDraftOf,
} from "../monitor-draft";
import { FormError, errorText } from "./form-error";

/** A new monitor's form, in the first of `projects`. Loaded on demand (crons-page.tsx): the first load stays small. */
export function NewMonitorForm(props: {
  projects: Array<{ id: string; slug: string }>;
  url: string;
  onDone: () => void;
  onCancel: () => void;
}) {
  return <MonitorForm {...props} initial={emptyMonitorDraft(props.projects[0]?.id ?? "")} method="POST" />;
}

/** A monitor's edit form. */
export function EditMonitorForm(props: { monitor: MonitorOf; url: string; onDone: () => void; onCancel: () => void }) {
  return <MonitorForm {...props} initial={monitorDraftOf(props.monitor)} projects={null} method="PUT" />;
}

/**
 * Creates a cron monitor without an SDK (POST to `monitorsUrl`), or edits one (PUT to
 * `monitorUrl`): its name, schedule (crontab or interval), margin, max runtime, timezone and
 * issue thresholds, and whether it is active. The API says what is wrong, naming the field.
 */
export function MonitorForm({
  initial,
  projects,
  url,
  method,
  onDone,
  onCancel,
}: {
  initial: MonitorDraft;
  /** Offered for a new monitor; an edit cannot move one. */
  projects: Array<{ id: string; slug: string }> | null;
  url: string;
  method: "POST" | "PUT";
  onDone: () => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const change = (patch: Partial<MonitorDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const value = (e: Event) => (e.currentTarget as HTMLInputElement).value;
  const submit = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    setError(null);
    try {
      await send(method, url, monitorBody(draft, method === "POST"));
      onDone();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setSaving(false);
    }
  };
  const whole = (label: string, key: "margin" | "maxRuntime" | "failureThreshold" | "recoveryThreshold") => (
    <label>
      {label}
      <input type="number" min={key.endsWith("Threshold") ? 1 : 0} value={draft[key]} onInput={(e) => change({ [key]: value(e) })} />
    </label>
  );
  return (
    <form class="card monitor-form" onSubmit={submit} aria-label={method === "POST" ? "New monitor" : "Edit monitor"}>
      <div class="grid-2">
        {projects !== null && (
          <label>
            Project
            <select value={draft.project} onChange={(e) => change({ project: value(e) })}>
              {projects.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.slug}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Name
          <input required maxLength={128} value={draft.name} onInput={(e) => change({ name: value(e) })} placeholder="Nightly backup" />
        </label>
      </div>
      <fieldset>
        <legend>Schedule</legend>
        <div class="threshold">
          <label class="check">
            <input
              type="radio"
              name="schedule-type"
              checked={draft.scheduleType === "crontab"}
              onChange={() => change({ scheduleType: "crontab" })}
            />
            Crontab
          </label>
          <input
            aria-label="Crontab schedule"
            value={draft.crontab}
            onInput={(e) => change({ crontab: value(e), scheduleType: "crontab" })}
          />
          <label class="check">
            <input
              type="radio"
              name="schedule-type"
              checked={draft.scheduleType === "interval"}
              onChange={() => change({ scheduleType: "interval" })}
            />
            Every
          </label>
          <input
            aria-label="Interval"
            type="number"
            min={1}
            value={draft.every}
            onInput={(e) => change({ every: value(e), scheduleType: "interval" })}
          />
          <select
            aria-label="Interval unit"
            value={draft.unit}
            onChange={(e) => change({ unit: value(e) as IntervalUnit, scheduleType: "interval" })}
          >
            {INTERVAL_UNITS.map((u) => (
              <option key={u} value={u}>
                {u}s
              </option>
            ))}
          </select>
        </div>
        <div class="grid-2">
          <label>
            Timezone
            <input value={draft.timezone} onInput={(e) => change({ timezone: value(e) })} placeholder="UTC" />
          </label>
          {whole("Check-in margin (minutes)", "margin")}
          {whole("Max runtime (minutes)", "maxRuntime")}
          {whole("Failed runs before an issue", "failureThreshold")}
          {whole("Good runs before it resolves", "recoveryThreshold")}
        </div>
      </fieldset>
      <label class="check">
        <input type="checkbox" checked={draft.active} onChange={(e) => change({ active: (e.currentTarget as HTMLInputElement).checked })} />
        Active (a disabled monitor expects nothing)
      </label>
      <FormError error={error} />
      <div class="button-row">
        <button type="submit" class="button primary" disabled={saving}>
          {method === "POST" ? "Create monitor" : "Save monitor"}
        </button>
        <button type="button" class="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
