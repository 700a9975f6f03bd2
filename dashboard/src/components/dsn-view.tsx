import type { ProjectKey } from "../api-types";
import { CopyButton } from "./copy-button";

/** A key's DSN to copy, or why there is none (a deployed dashboard that does not know ingest's address). */
export function DsnView({ dsn }: { dsn: ProjectKey["dsn"] }) {
  if (dsn.public === null) {
    return (
      <p class="form-error" role="alert">
        No DSN to show: {dsn.detail}
      </p>
    );
  }
  return (
    <div class="copy-row">
      <code class="dsn" data-testid="dsn">
        {dsn.public}
      </code>
      <CopyButton text={dsn.public} label="Copy DSN" />
    </div>
  );
}
