/**
 * A JavaScript debug id as sentry-cli writes it into bundles and source maps and SDKs send it in
 * `debug_meta.images` (https://docs.sentry.io/platforms/javascript/sourcemaps/troubleshooting_js/debug-ids/):
 * a UUID. Kept lowercase with dashes, so the upload's index and the event's lookup agree however
 * either side spelled it; anything else is no debug id.
 */
export function normalizeDebugId(value: unknown): string | null {
  if (typeof value !== "string" || value.length > 64) return null;
  const hex = value.trim().replaceAll("-", "").toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
