import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RELATIVE_ACCURACY, mergeSketchInto, parseSketch, sketchCount, sketchOf, sketchQuantile } from "../../protocol/duration-sketch";

/** The exact nearest-rank quantile: the ⌈q·n⌉-th smallest value. */
function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length - 1e-9) - 1)]!;
}

function withinAccuracy(estimate: number | null, exact: number): boolean {
  if (estimate === null) return false;
  if (exact === 0) return estimate === 0;
  return Math.abs(estimate - exact) <= RELATIVE_ACCURACY * exact * (1 + 1e-9);
}

describe("duration sketch", () => {
  it("answers known percentiles within 1%", () => {
    // 1..1000 ms: p50 is 500, p95 950, p99 990 (nearest rank).
    const sketch = sketchOf(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(sketchCount(sketch)).toBe(1000);
    for (const [q, exact] of [
      [0.5, 500],
      [0.75, 750],
      [0.95, 950],
      [0.99, 990],
      [1, 1000],
      [0, 1],
    ] as const) {
      const estimate = sketchQuantile(sketch, q)!;
      expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    }
  });

  it("keeps the 1% bound for any values from a microsecond to a day, and merges like the union", () => {
    const value = fc.double({ min: 0.001, max: 86_400_000, noNaN: true });
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 200 }),
        fc.array(value, { maxLength: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (a, b, q) => {
          const merged = mergeSketchInto(sketchOf(a), sketchOf(b));
          expect(merged).toEqual(sketchOf([...a, ...b]));
          return withinAccuracy(sketchQuantile(merged, q), exactQuantile([...a, ...b], q));
        },
      ),
    );
  });

  it("takes a part out of a merge again, leaving no empty bucket", () => {
    const value = fc.double({ min: 0.001, max: 86_400_000, noNaN: true });
    fc.assert(
      fc.property(fc.array(value, { maxLength: 100 }), fc.array(value, { maxLength: 100 }), (a, b) => {
        expect(mergeSketchInto(sketchOf([...a, ...b]), sketchOf(b), -1)).toEqual(sketchOf(a));
      }),
    );
  });

  it("answers p99 of a few values as the largest, p50 as the middle one", () => {
    const sketch = sketchOf([50, 53, 106]);
    expect(sketchQuantile(sketch, 0.99)! / 106).toBeCloseTo(1, 1);
    expect(sketchQuantile(sketch, 0.5)! / 53).toBeCloseTo(1, 1);
  });

  it("counts zero and negative durations as zero", () => {
    const sketch = sketchOf([0, 0, -5, 10]);
    expect(sketchQuantile(sketch, 0.5)).toBe(0);
    expect(sketchQuantile(sketch, 1)).toBeCloseTo(10, 0);
  });

  it("is compact: a spread of 1 ms to 10 s fits in a few hundred buckets", () => {
    const sketch = sketchOf(Array.from({ length: 100_000 }, (_, i) => 1 + (i % 10_000)));
    expect(Object.keys(sketch).length).toBeLessThan(500);
    expect(JSON.stringify(sketch).length).toBeLessThan(6000);
  });

  it("reads a stored sketch, and anything else as empty", () => {
    expect(parseSketch('{"12":3}')).toEqual({ "12": 3 });
    expect(parseSketch("not json")).toEqual({});
    expect(parseSketch(null)).toEqual({});
    expect(sketchQuantile({}, 0.5)).toBeNull();
  });
});
