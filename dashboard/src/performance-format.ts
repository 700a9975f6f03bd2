/** How the performance pages show durations, rates and scores. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "—";
  return `${(fraction * 100).toFixed(fraction > 0 && fraction < 0.001 ? 3 : 1)}%`;
}

export function formatRate(perMinute: number | null | undefined): string {
  if (perMinute === null || perMinute === undefined || !Number.isFinite(perMinute)) return "—";
  return perMinute >= 10 ? `${perMinute.toFixed(0)}/min` : `${perMinute.toPrecision(2)}/min`;
}

export function formatScore(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "—" : value.toFixed(2);
}

/** The time ranges the performance pages offer, as Sentry's statsPeriod. */
export const PERIODS = [
  { id: "1h", label: "1 h" },
  { id: "24h", label: "24 h" },
  { id: "7d", label: "7 d" },
  { id: "14d", label: "14 d" },
] as const;

export function periodOf(value: string | null): string {
  return PERIODS.some((p) => p.id === value) ? value! : "24h";
}

/** Chart buckets for a period: hours up to a day, then a few hours, then days. */
export function intervalOf(period: string): string {
  return period === "7d" ? "6h" : period === "14d" ? "12h" : "1h";
}
