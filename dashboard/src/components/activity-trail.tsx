import { useState } from "preact/hooks";
import { seg, send } from "../api-client";
import type { Activity, Member } from "../api-types";
import { CommentText } from "./comment-text";
import { FormError, errorText } from "./form-error";
import { RelativeTime } from "./relative-time";
import "../issue-workflow.css";

/**
 * The issue's trail, newest first (Sentry's activity: status changes, assignment, regressions,
 * comments, first seen), with a box to comment. A person edits and deletes their own comments.
 * Everything shown is text: comments through CommentText, the rest as plain strings.
 */
export function ActivityTrail({
  issueId,
  activity,
  members,
  me,
  onChanged,
}: {
  issueId: string;
  activity: Activity[];
  /** The organization's members, to name an assignee (else shown by email). */
  members: Member[] | null;
  me: string | null;
  onChanged: () => Promise<void>;
}) {
  const comments = `/api/0/issues/${seg(issueId)}/comments/`;
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = async (action: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await action();
      await onChanged();
      return true;
    } catch (err) {
      setError(errorText(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  const post = async (e: Event) => {
    e.preventDefault();
    if (draft.trim() === "") {
      setError("Write something first.");
      return;
    }
    if (await run(() => send("POST", comments, { text: draft }))) setDraft("");
  };

  return (
    <section class="card activity" aria-labelledby="activity-title">
      <h2 id="activity-title">Activity</h2>
      <form class="comment-form" onSubmit={post} aria-label="Add a comment">
        <label>
          <span class="visually-hidden">Comment</span>
          <textarea
            name="text"
            rows={3}
            maxLength={10_000}
            value={draft}
            placeholder="Add a comment: what you found, what you tried. `code` and **bold** work."
            onInput={(e) => setDraft(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void post(e);
            }}
          />
        </label>
        <button type="submit" class="button primary small" disabled={busy}>
          Comment
        </button>
      </form>
      <FormError error={error} />
      <ol class="trail">
        {activity.map((a) =>
          a.type === "note" ? (
            <Note
              key={a.id}
              note={a}
              mine={me !== null && a.user?.id === me}
              busy={busy}
              onEdit={(text) => run(() => send("PUT", `${comments}${seg(a.id)}/`, { text }))}
              onDelete={() => run(() => send("DELETE", `${comments}${seg(a.id)}/`))}
            />
          ) : (
            <li key={a.id} class="trail-event">
              <span>{activitySentence(a, members ?? [])}</span> <RelativeTime iso={a.dateCreated} />
            </li>
          ),
        )}
      </ol>
    </section>
  );
}

function Note({
  note,
  mine,
  busy,
  onEdit,
  onDelete,
}: {
  note: Activity;
  mine: boolean;
  busy: boolean;
  onEdit: (text: string) => Promise<boolean>;
  onDelete: () => Promise<boolean>;
}) {
  const text = typeof note.data.text === "string" ? note.data.text : "";
  const [editing, setEditing] = useState<string | null>(null);
  const author = note.user?.name ?? "Someone";
  return (
    <li class="trail-note" aria-label={`Comment by ${author}`}>
      <div class="trail-note-head">
        <strong>{author}</strong> <RelativeTime iso={note.dateCreated} />
        {mine && editing === null && (
          <span class="trail-note-actions">
            <button type="button" class="button small" disabled={busy} onClick={() => setEditing(text)}>
              Edit
            </button>
            <button
              type="button"
              class="button small"
              disabled={busy}
              onClick={() => {
                if (confirm("Delete this comment?")) void onDelete();
              }}
            >
              Delete
            </button>
          </span>
        )}
      </div>
      {editing === null ? (
        <CommentText text={text} />
      ) : (
        <form
          class="comment-form"
          aria-label="Edit the comment"
          onSubmit={async (e) => {
            e.preventDefault();
            if (await onEdit(editing)) setEditing(null);
          }}
        >
          <label>
            <span class="visually-hidden">Comment</span>
            <textarea rows={3} maxLength={10_000} value={editing} onInput={(e) => setEditing(e.currentTarget.value)} />
          </label>
          <div class="button-row">
            <button type="submit" class="button primary small" disabled={busy}>
              Save
            </button>
            <button type="button" class="button small" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </li>
  );
}

/** What happened, as a sentence: who (Faultline when no one) did what. */
export function activitySentence(a: Activity, members: readonly Member[]): string {
  const who = a.user?.name ?? "Faultline";
  const d = a.data;
  const text = (key: string) => (typeof d[key] === "string" ? (d[key] as string) : "");
  switch (a.type) {
    case "first_seen":
      return "First seen";
    case "set_resolved":
      return `${who} resolved the issue`;
    case "set_resolved_in_release":
      return text("version") !== ""
        ? `${who} resolved the issue in ${text("version")}`
        : `${who} resolved the issue in the next release${text("current_release_version") === "" ? "" : ` (after ${text("current_release_version")})`}`;
    case "set_unresolved":
      return `${who} reopened the issue`;
    case "set_ignored": {
      const until: string[] = [];
      if (typeof d.ignoreCount === "number") until.push(`${d.ignoreCount} more events`);
      if (text("ignoreUntil") !== "") until.push(new Date(text("ignoreUntil")).toLocaleString());
      if (d.ignoreUntilEscalating === true) until.push("it escalates");
      return until.length === 0 ? `${who} ignored the issue` : `${who} ignored the issue until ${until.join(" or ")}`;
    }
    case "set_regression":
      return `${who} marked the issue as a regression${text("version") === "" ? "" : ` in ${text("version")}`}`;
    case "assigned": {
      const assignee = members.find((m) => m.id === text("assignee"));
      return `${who} assigned the issue to ${assignee?.name ?? (text("assigneeEmail") || "someone")}`;
    }
    case "unassigned":
      return `${who} unassigned the issue`;
    case "merge": {
      const merged = Array.isArray(d.issues) ? d.issues.length : 0;
      return `${who} merged ${merged} ${merged === 1 ? "issue" : "issues"} into this one`;
    }
    default:
      return `${who}: ${a.type}`;
  }
}
