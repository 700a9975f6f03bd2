/**
 * Values from events, shown as text only: whatever an SDK sent (markup, scripts, odd Unicode)
 * reaches the page through text nodes, never as HTML.
 */
export const SCRUBBED = "[Filtered]";

export function Value({ value }: { value: unknown }) {
  if (value === SCRUBBED) {
    return (
      <span class="scrubbed" title="Removed by data scrubbing before the event was stored">
        {SCRUBBED} <span class="visually-hidden">(scrubbed)</span>
      </span>
    );
  }
  if (typeof value === "string") return <span class="value">{value}</span>;
  if (value === null || value === undefined) return <span class="muted">null</span>;
  if (typeof value === "number" || typeof value === "boolean") return <span class="value">{String(value)}</span>;
  return <pre class="value-json">{JSON.stringify(value, null, 2)}</pre>;
}

/** Key/value data as Sentry SDKs send it: an object, or a list of [key, value] pairs. */
export function pairsOf(data: unknown): Array<[string, unknown]> {
  if (Array.isArray(data)) {
    return data.filter((p): p is [unknown, unknown] => Array.isArray(p) && p.length >= 2).map(([k, v]) => [String(k), v]);
  }
  if (typeof data === "object" && data !== null) return Object.entries(data);
  return [];
}

export function KeyValueTable({ data, label }: { data: unknown; label: string }) {
  const pairs = pairsOf(data);
  if (pairs.length === 0) return null;
  return (
    <table class="kv" aria-label={label}>
      <tbody>
        {pairs.map(([key, value], i) => (
          <tr key={`${key}-${i}`}>
            <th scope="row">{key}</th>
            <td>
              <Value value={value} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
