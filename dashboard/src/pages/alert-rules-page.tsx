import { useState } from "preact/hooks";
import { seg, send } from "../api-client";
import {
  type AlertRule,
  type Delivery,
  INTERVALS,
  type Interval,
  LEVELS,
  PERCENTILES,
  type Percentile,
  type RuleDraft,
  TARGET_TYPES,
  type TargetType,
  type TestNotificationResult,
  describeRule,
  describeTestResult,
  draftOf,
  emptyDraft,
  ruleBody,
  savedSecret,
  testNotificationBody,
} from "../alert-rule-draft";
import { BrowserNotifications } from "../components/browser-notifications";
import { CopyButton } from "../components/copy-button";
import { FormError, errorText } from "../components/form-error";
import { RelativeTime } from "../components/relative-time";
import { Link } from "../router";
import { useApi } from "../use-api";

/** A project's alert rules (when, if, then), a form to make and change them, and what they sent. */
export function AlertRulesPage({ org, project }: { org: string; project: string }) {
  const base = `/api/0/projects/${seg(org)}/${seg(project)}`;
  const rules = useApi<AlertRule[]>(`${base}/alert-rules/`);
  const [editing, setEditing] = useState<AlertRule | "new" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const remove = async (rule: AlertRule) => {
    if (!confirm(`Delete the rule “${rule.name}”? Alerts already on their way still go out.`)) return;
    setError(null);
    try {
      await send("DELETE", `${base}/alert-rules/${seg(rule.id)}/`);
      rules.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <section aria-labelledby="alerts-title">
      <div class="page-head">
        <h1 id="alerts-title">{project}: alerts</h1>
        <Link href={`/organizations/${seg(org)}/projects/${seg(project)}/settings`}>Settings</Link>
      </div>
      <section class="card" aria-labelledby="rules-title">
        <div class="page-head">
          <h2 id="rules-title">Rules</h2>
          {editing === null && (
            <button type="button" class="button" onClick={() => setEditing("new")}>
              New rule
            </button>
          )}
        </div>
        <FormError error={error ?? rules.error} />
        <BrowserNotifications />
        {editing !== null && (
          <RuleForm
            base={base}
            rule={editing === "new" ? null : editing}
            onDone={() => {
              setEditing(null);
              rules.reload();
            }}
            onCancel={() => setEditing(null)}
          />
        )}
        {rules.data !== null && rules.data.length === 0 && editing === null && <p>No rules yet: nobody hears about new errors.</p>}
        {rules.data?.map((rule) => {
          const words = describeRule(rule);
          return (
            <article class="alert-rule" key={rule.id} aria-label={`Rule ${rule.name}`}>
              <h3>{rule.name}</h3>
              <dl>
                <dt>When</dt>
                <dd>{words.when}</dd>
                <dt>If</dt>
                <dd>{words.if}</dd>
                <dt>Then</dt>
                <dd>{words.then}</dd>
              </dl>
              {rule.targets
                .filter((t) => t.type === "webhook" && t.secret !== undefined)
                .map((t) => (
                  <p class="copy-row small" key={t.id}>
                    <span class="muted">Signing secret for {t.url}</span> <code>{t.secret}</code>{" "}
                    <CopyButton text={t.secret!} label="Copy secret" />
                  </p>
                ))}
              <div class="button-row">
                <button type="button" class="button small" onClick={() => setEditing(rule)} disabled={editing !== null}>
                  Edit
                </button>
                <button type="button" class="button small danger" onClick={() => remove(rule)}>
                  Delete
                </button>
              </div>
            </article>
          );
        })}
      </section>
      <DeliveryLog base={base} rules={rules.data ?? []} />
    </section>
  );
}

function RuleForm({ base, rule, onDone, onCancel }: { base: string; rule: AlertRule | null; onDone: () => void; onCancel: () => void }) {
  const [draft, setDraft] = useState<RuleDraft>(() => (rule === null ? emptyDraft() : draftOf(rule)));
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  // What "Send test" answered, per target row; a changed target's answer no longer applies.
  const [tested, setTested] = useState<Record<number, { text: string; ok: boolean } | "sending">>({});
  const change = (patch: Partial<RuleDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const setTarget = (i: number, patch: Partial<RuleDraft["targets"][number]>) => {
    setDraft((d) => ({
      ...d,
      targets: d.targets.map((t, j) => (j === i ? { ...t, ...patch, secret: savedSecret(rule, { ...t, ...patch }) } : t)),
    }));
    setTested(({ [i]: _answer, ...others }) => others);
  };
  const sendTest = async (i: number) => {
    setTested((r) => ({ ...r, [i]: "sending" }));
    try {
      const result = await send<TestNotificationResult>("POST", `${base}/alert-rules/test-notification/`, testNotificationBody(draft, i));
      setTested((r) => ({ ...r, [i]: { text: describeTestResult(result), ok: result.sent } }));
    } catch (err) {
      setTested((r) => ({ ...r, [i]: { text: `Test not sent: ${errorText(err)}`, ok: false } }));
    }
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSaving(true);
    try {
      if (rule === null) await send("POST", `${base}/alert-rules/`, ruleBody(draft));
      else await send("PUT", `${base}/alert-rules/${seg(rule.id)}/`, ruleBody(draft));
      onDone();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setSaving(false);
    }
  };
  const value = (e: Event) => (e.currentTarget as HTMLInputElement).value;
  const checked = (e: Event) => (e.currentTarget as HTMLInputElement).checked;
  const threshold = (key: "frequency" | "users", label: string, unit: string) => (
    <div class="threshold">
      <label class="check">
        <input type="checkbox" checked={draft[key].on} onChange={(e) => change({ [key]: { ...draft[key], on: checked(e) } })} />
        {label}
      </label>
      <input
        aria-label={`${unit}: more than`}
        type="number"
        min={0}
        value={draft[key].value}
        onInput={(e) => change({ [key]: { ...draft[key], value: value(e), on: true } })}
      />
      <span>{unit} in</span>
      <select
        aria-label={`${unit}: interval`}
        value={draft[key].interval}
        onChange={(e) => change({ [key]: { ...draft[key], interval: value(e) as Interval, on: true } })}
      >
        {INTERVALS.map((i) => (
          <option key={i} value={i}>
            {i}
          </option>
        ))}
      </select>
    </div>
  );
  // A metric trigger stands alone: turning one on turns the issue triggers off.
  const alone = {
    newIssue: false,
    regression: false,
    escalating: false,
    feedback: false,
    frequency: { ...draft.frequency, on: false },
    users: { ...draft.users, on: false },
  };
  const metric = (key: "duration" | "failureRate") => {
    const m = draft[key];
    const set = (patch: Partial<typeof m>) => change({ ...alone, [key]: { ...m, ...patch, on: true } });
    const label = key === "duration" ? "duration" : "failure rate";
    return (
      <div class="threshold">
        <label class="check">
          <input type="checkbox" checked={m.on} onChange={(e) => (checked(e) ? set({}) : change({ [key]: { ...m, on: false } }))} />
          {key === "duration" ? "Transactions' duration" : "Transactions' failure rate"}
        </label>
        {key === "duration" && (
          <select
            aria-label="duration: percentile"
            value={draft.duration.percentile}
            onChange={(e) => change({ ...alone, duration: { ...draft.duration, percentile: value(e) as Percentile, on: true } })}
          >
            {PERCENTILES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        )}
        <span>of</span>
        <input
          aria-label={`${label}: transaction`}
          placeholder="all transactions"
          maxLength={200}
          value={m.transaction}
          onInput={(e) => set({ transaction: value(e) })}
        />
        <span>above</span>
        <input aria-label={`${label}: above`} type="number" min={0} step="any" value={m.value} onInput={(e) => set({ value: value(e) })} />
        <span>{key === "duration" ? "ms in" : "% in"}</span>
        <select aria-label={`${label}: interval`} value={m.interval} onChange={(e) => set({ interval: value(e) as Interval })}>
          {INTERVALS.map((i) => (
            <option key={i} value={i}>
              {i}
            </option>
          ))}
        </select>
      </div>
    );
  };
  return (
    <form class="alert-rule-form" onSubmit={submit} aria-label={rule === null ? "New rule" : `Edit rule ${rule.name}`}>
      <label>
        Name
        <input
          name="name"
          required
          maxLength={256}
          value={draft.name}
          onInput={(e) => change({ name: value(e) })}
          placeholder="New errors in production"
        />
      </label>

      <fieldset>
        <legend>
          When{" "}
          <select aria-label="Match" value={draft.match} onChange={(e) => change({ match: value(e) as "any" | "all" })}>
            <option value="any">any</option>
            <option value="all">all</option>
          </select>{" "}
          of these happen
        </legend>
        <label class="check">
          <input type="checkbox" checked={draft.newIssue} onChange={(e) => change({ newIssue: checked(e) })} />A new issue is created
        </label>
        <label class="check">
          <input type="checkbox" checked={draft.regression} onChange={(e) => change({ regression: checked(e) })} />A resolved issue comes
          back (regression)
        </label>
        <label class="check">
          <input type="checkbox" checked={draft.escalating} onChange={(e) => change({ escalating: checked(e) })} />
          An ignored issue escalates past its condition
        </label>
        <label class="check">
          <input type="checkbox" checked={draft.feedback} onChange={(e) => change({ feedback: checked(e) })} />A user sends feedback
        </label>
        {threshold("frequency", "An issue is seen more than", "events")}
        {threshold("users", "An issue affects more than", "users")}
        <p class="muted">Or a metric of transactions or sessions, on its own (filtered by environment and release only):</p>
        {metric("duration")}
        {metric("failureRate")}
        <div class="threshold">
          <label class="check">
            <input
              type="checkbox"
              checked={draft.crashFree.on}
              onChange={(e) =>
                change(
                  checked(e) ? { ...alone, crashFree: { ...draft.crashFree, on: true } } : { crashFree: { ...draft.crashFree, on: false } },
                )
              }
            />
            Crash-free sessions of release
          </label>
          <input
            aria-label="crash-free: release"
            maxLength={200}
            value={draft.crashFree.release}
            onInput={(e) => change({ ...alone, crashFree: { ...draft.crashFree, release: value(e), on: true } })}
          />
          <span>below</span>
          <input
            aria-label="crash-free: below"
            type="number"
            min={0}
            max={100}
            step="any"
            value={draft.crashFree.value}
            onInput={(e) => change({ ...alone, crashFree: { ...draft.crashFree, value: value(e), on: true } })}
          />
          <span>% in</span>
          <select
            aria-label="crash-free: interval"
            value={draft.crashFree.interval}
            onChange={(e) => change({ ...alone, crashFree: { ...draft.crashFree, interval: value(e) as Interval, on: true } })}
          >
            {INTERVALS.map((i) => (
              <option key={i} value={i}>
                {i}
              </option>
            ))}
          </select>
        </div>
      </fieldset>

      <fieldset>
        <legend>If all of these hold</legend>
        <div class="grid-2">
          <label>
            Level at least
            <select value={draft.level} onChange={(e) => change({ level: value(e) })}>
              <option value="">any level</option>
              {LEVELS.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </label>
          <label>
            Environment
            <input value={draft.environment} onInput={(e) => change({ environment: value(e) })} placeholder="any" />
          </label>
          <label>
            Release
            <input value={draft.release} onInput={(e) => change({ release: value(e) })} placeholder="any" />
          </label>
          <label>
            Tags <span class="muted">(key=value, one per line)</span>
            <textarea rows={2} value={draft.tags} onInput={(e) => change({ tags: value(e) })} />
          </label>
        </div>
        <div class="threshold">
          <label class="check">
            <input type="checkbox" checked={draft.age.on} onChange={(e) => change({ age: { ...draft.age, on: checked(e) } })} />
            The issue is
          </label>
          <select
            aria-label="Age"
            value={draft.age.direction}
            onChange={(e) => change({ age: { ...draft.age, direction: value(e) as "older_than" | "newer_than", on: true } })}
          >
            <option value="newer_than">newer than</option>
            <option value="older_than">older than</option>
          </select>
          <input
            aria-label="Age: duration"
            size={6}
            value={draft.age.value}
            onInput={(e) => change({ age: { ...draft.age, value: value(e), on: true } })}
            placeholder="7d"
          />
          <span class="muted">(30m, 12h, 7d, 2w)</span>
        </div>
      </fieldset>

      <fieldset>
        <legend>Then notify</legend>
        {draft.targets.map((target, i) => (
          <div class="target-row" key={i}>
            <select
              aria-label={`Target ${i + 1}: type`}
              value={target.type}
              onChange={(e) => setTarget(i, { type: value(e) as TargetType })}
            >
              {TARGET_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
            <input
              aria-label={`Target ${i + 1}: ${target.type === "email" ? "address" : target.type === "push" ? "member's email" : "URL"}`}
              type="text"
              inputMode={target.type === "email" || target.type === "push" ? "email" : "url"}
              spellcheck={false}
              required
              value={target.destination}
              onInput={(e) => setTarget(i, { destination: value(e) })}
              placeholder={
                target.type === "email"
                  ? "oncall@example.com"
                  : target.type === "push"
                    ? "a member's email (their browsers with notifications on)"
                    : "https://hooks.slack.com/services/…"
              }
            />
            <button
              type="button"
              class="button small"
              aria-label={`Target ${i + 1}: send test notification`}
              disabled={tested[i] === "sending" || target.destination.trim() === ""}
              onClick={() => sendTest(i)}
            >
              {tested[i] === "sending" ? "Sending…" : "Send test"}
            </button>
            <button
              type="button"
              class="button small"
              disabled={draft.targets.length === 1}
              onClick={() => {
                change({ targets: draft.targets.filter((_, j) => j !== i) });
                setTested({});
              }}
            >
              Remove
            </button>
            {tested[i] !== undefined && tested[i] !== "sending" && (
              <p class={`test-result small ${tested[i].ok ? "ok" : "failed"}`} role="status">
                {tested[i].text}
              </p>
            )}
          </div>
        ))}
        <button
          type="button"
          class="button small"
          onClick={() => change({ targets: [...draft.targets, { type: "webhook", destination: "" }] })}
        >
          Add a target
        </button>
        <label>
          At most one notification per issue every <span class="muted">(minutes)</span>
          <input type="number" min={0} value={draft.frequencyMinutes} onInput={(e) => change({ frequencyMinutes: value(e) })} />
        </label>
      </fieldset>

      <FormError error={error} />
      <div class="button-row">
        <button type="submit" class="button primary" disabled={saving}>
          {rule === null ? "Create rule" : "Save rule"}
        </button>
        <button type="button" class="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function DeliveryLog({ base, rules }: { base: string; rules: AlertRule[] }) {
  const log = useApi<Delivery[]>(`${base}/alert-deliveries/?limit=50`);
  const ruleName = (id: string) => rules.find((r) => r.id === id)?.name ?? `rule ${id} (deleted)`;
  return (
    <section class="card" aria-labelledby="deliveries-title">
      <div class="page-head">
        <h2 id="deliveries-title">Delivery log</h2>
        <button type="button" class="button small" onClick={log.reload}>
          Refresh
        </button>
      </div>
      <FormError error={log.error} />
      {log.data !== null && log.data.length === 0 && <p>Nothing sent yet.</p>}
      {log.data !== null && log.data.length > 0 && (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Fired</th>
              <th scope="col">Rule</th>
              <th scope="col">Issue</th>
              <th scope="col">Target</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
            </tr>
          </thead>
          <tbody>
            {log.data.map((d) => (
              <tr key={d.id}>
                <td>
                  <RelativeTime iso={d.dateCreated} />
                </td>
                <td>{ruleName(d.ruleId)}</td>
                <td>
                  <Link href={`/issues/${seg(d.issueId)}`}>#{d.issueId}</Link>
                </td>
                <td>{d.targetType}</td>
                <td>
                  <span class={`delivery-status ${d.status}`}>{d.status}</span>
                  {d.lastError !== null && <div class="muted small wrap">{d.lastError}</div>}
                </td>
                <td class="small">
                  {d.attempts.map((a) => (
                    <div key={a.attempt} title={a.error ?? undefined}>
                      {a.attempt}. {a.httpStatus ?? "no answer"} in {a.latencyMs} ms
                      {a.retryDelaySeconds !== null ? `, again in ${a.retryDelaySeconds} s` : ""}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
