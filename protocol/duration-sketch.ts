/**
 * A mergeable quantile sketch for durations and Web Vitals, after DDSketch (Masson, Rim and Lee,
 * "DDSketch: a fast and fully-mergeable quantile sketch with relative-error guarantees", VLDB
 * 2019): a value v > 0 falls in bucket ceil(log_γ v) with γ = (1 + α) / (1 − α), and every value
 * of a bucket is answered as the bucket's midpoint 2γ^i / (γ + 1), at most α = 1% from it. A sketch
 * is a map of bucket index to count, so merging two is adding counts key by key: the digest does
 * it in SQL (items/transaction/transaction-statements.ts) and the API adds up any window's hourly
 * sketches, never reading a raw row.
 *
 * Stored as JSON text (`{"-3": 2, "412": 7, "z": 1}`): one key per bucket holding values, a few
 * hundred at most for one transaction name (a factor of 10 in duration is 116 buckets).
 */
export type Sketch = Record<string, number>;

export const RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);

/** Values at or below this (and negative ones) share the bucket "z", answered as 0. */
export const MIN_SKETCH_VALUE = 1e-6;
const ZERO_KEY = "z";

/** The bucket a value falls in. */
export function sketchKey(value: number): string {
  if (!(value > MIN_SKETCH_VALUE)) return ZERO_KEY;
  return String(Math.ceil(Math.log(value) / LOG_GAMMA));
}

/** The value a bucket answers for: within RELATIVE_ACCURACY of every value it holds. */
export function sketchBucketValue(key: string): number {
  if (key === ZERO_KEY) return 0;
  return (2 * GAMMA ** Number(key)) / (GAMMA + 1);
}

export function sketchOf(values: Iterable<number>): Sketch {
  const out: Sketch = {};
  for (const v of values) {
    const key = sketchKey(v);
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/**
 * Adds `from` into `into` (and answers `into`); with `sign` -1 takes it out again, dropping a
 * bucket left empty, so a merge of counts can also lose the counts of some of its parts.
 */
export function mergeSketchInto(into: Sketch, from: Sketch, sign = 1): Sketch {
  for (const [key, count] of Object.entries(from)) {
    if (typeof count !== "number" || !Number.isFinite(count) || count <= 0) continue;
    const n = (into[key] ?? 0) + sign * count;
    if (n === 0) delete into[key];
    else into[key] = n;
  }
  return into;
}

/** A stored sketch; anything unreadable is an empty one. */
export function parseSketch(text: unknown): Sketch {
  if (typeof text !== "string") return {};
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Sketch) : {};
  } catch {
    return {};
  }
}

export function sketchCount(sketch: Sketch): number {
  let n = 0;
  for (const count of Object.values(sketch)) n += count;
  return n;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of a sketch (or of its buckets in a Map) by nearest rank: the
 * ⌈q·n⌉-th smallest value (the smallest for q = 0), within RELATIVE_ACCURACY of the exact one; so
 * p99 of three values is the largest. Null for an empty sketch.
 */
export function sketchQuantile(sketch: Sketch | ReadonlyMap<string, number>, q: number): number | null {
  const buckets: Array<{ order: number; key: string; count: number }> = [];
  let n = 0;
  for (const [key, count] of sketch instanceof Map ? sketch : Object.entries(sketch)) {
    buckets.push({ order: keyOrder(key), key, count });
    n += count;
  }
  if (n === 0) return null;
  // 0-based; the epsilon keeps 0.95 × 100 (95.00000000000001 in floating point) at rank 95.
  const rank = Math.max(0, Math.ceil(Math.min(1, Math.max(0, q)) * n - 1e-9) - 1);
  buckets.sort((a, b) => a.order - b.order);
  let seen = 0;
  for (const b of buckets) {
    seen += b.count;
    if (seen > rank) return sketchBucketValue(b.key);
  }
  return sketchBucketValue(buckets.at(-1)!.key);
}

function keyOrder(key: string): number {
  return key === ZERO_KEY ? Number.NEGATIVE_INFINITY : Number(key);
}
