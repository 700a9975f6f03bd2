import type { Issue } from "../api-types";
import { describeIgnore } from "../ignore-choices";

export function LevelBadge({ level }: { level: string }) {
  return <span class={`level level-${/^[a-z]+$/.test(level) ? level : "other"}`}>{level}</span>;
}

export function StatusBadge({ issue }: { issue: Pick<Issue, "status" | "substatus" | "statusDetails"> }) {
  if (issue.status === "resolved") {
    return (
      <span class="status status-resolved">
        {issue.statusDetails.inRelease ? `resolved in ${issue.statusDetails.inRelease}` : "resolved"}
      </span>
    );
  }
  if (issue.status === "ignored") {
    const until = describeIgnore(issue.statusDetails, (iso) =>
      new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }),
    );
    return <span class="status status-ignored">{until === "forever" ? "ignored" : `ignored ${until}`}</span>;
  }
  if (issue.substatus === "regressed" || issue.substatus === "new")
    return <span class={`status status-${issue.substatus}`}>{issue.substatus}</span>;
  return null;
}
