import { HttpError } from "../api-client";

/** An error from an API call, as a sentence for the person who tried. */
export function errorText(err: unknown): string {
  if (err instanceof HttpError) return err.detail;
  if (err instanceof Error) return `Could not reach the server (${err.message}).`;
  return String(err);
}

export function FormError({ error }: { error: string | null }) {
  if (error === null) return null;
  return (
    <p class="form-error" role="alert">
      {error}
    </p>
  );
}
