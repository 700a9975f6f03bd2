import { useEffect, useState } from "preact/hooks";

/** "5 min ago", with the exact local time (and UTC) on hover. */
let now = Date.now();
const tickers = new Set<(n: number) => void>();
setInterval(() => {
  now = Date.now();
  for (const tick of tickers) tick(now);
}, 30_000);

function useNow(): number {
  const [value, setValue] = useState(now);
  useEffect(() => {
    tickers.add(setValue);
    return () => void tickers.delete(setValue);
  }, []);
  return value;
}

export function relativeTime(ms: number, at: number): string {
  const seconds = Math.round((at - ms) / 1000);
  const future = seconds < 0;
  const s = Math.abs(seconds);
  let text: string;
  if (s < 45) return future ? "in a few seconds" : "just now";
  if (s < 3_600) text = `${Math.max(1, Math.round(s / 60))} min`;
  else if (s < 86_400) text = `${Math.round(s / 3_600)} h`;
  else if (s < 30 * 86_400) text = `${Math.round(s / 86_400)} d`;
  else if (s < 365 * 86_400) text = `${Math.round(s / (30 * 86_400))} mo`;
  else text = `${Math.round(s / (365 * 86_400))} y`;
  return future ? `in ${text}` : `${text} ago`;
}

export function exactTime(ms: number): string {
  // A time Date cannot hold (the API sends null for those, but a page must never throw on one).
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return "";
  const date = new Date(ms);
  return `${date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" })} (${date.toISOString()})`;
}

export function RelativeTime({ iso }: { iso: string | null | undefined }) {
  // The ticker re-renders every 30 s; each render reads the clock, so a time written since the
  // last tick (a check made a second ago) is "just now", not "in a few seconds".
  useNow();
  const at = Date.now();
  if (iso === null || iso === undefined) return <span class="muted">never</span>;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return <span>{iso}</span>;
  return (
    <time dateTime={iso} title={exactTime(ms)}>
      {relativeTime(ms, at)}
    </time>
  );
}
