import { AnyMap, type TraceMap } from "@jridgewell/trace-mapping";
import { type MinifiedIndex, indexMinifiedSource } from "./minified-functions";

/**
 * Parsed source maps and minified files, kept per isolate so that a map is parsed once for all
 * the events that need it, in a cache bounded by (estimated) bytes, least recently used first
 * out. Uploaded files never change (their R2 keys name the bundle's sha1), so an entry is never
 * stale. Parsing costs several times a map's size in memory (decoded mappings, split sources):
 * the estimate counts that, and the budget leaves room in an isolate's 128 MB
 * (https://developers.cloudflare.com/workers/platform/limits/#memory).
 */
export interface ParsedMap {
  map: TraceMap;
  /** A source's lines, split on first use. */
  lines(source: string): string[] | null;
}

export interface ParsedMinified {
  text: string;
  index(): MinifiedIndex;
}

const BUDGET_BYTES = 48 * 1024 * 1024;
/** Decoded mappings and split sources, per byte of the map's JSON. */
const MAP_COST_PER_BYTE = 6;
const MINIFIED_COST_PER_BYTE = 3;

interface Entry {
  value: ParsedMap | ParsedMinified;
  cost: number;
}

export class SourceMapCache {
  private entries = new Map<string, Entry>();
  private total = 0;

  constructor(private readonly budget = BUDGET_BYTES) {}

  get bytes(): number {
    return this.total;
  }

  /** The map stored under `key`, parsed; throws what parsing throws (an invalid map). */
  async map(key: string, load: () => Promise<string>): Promise<ParsedMap> {
    const hit = this.get(key);
    if (hit !== undefined) return hit as ParsedMap;
    const text = await load();
    const map = new AnyMap(JSON.parse(text) as never);
    const split = new Map<string, string[] | null>();
    const parsed: ParsedMap = {
      map,
      lines(source) {
        if (!split.has(source)) {
          const index = map.resolvedSources.indexOf(source);
          const content = index === -1 ? null : (map.sourcesContent?.[index] ?? null);
          split.set(source, typeof content === "string" ? content.split(/\r\n|\r|\n/) : null);
        }
        return split.get(source)!;
      },
    };
    this.set(key, parsed, text.length * MAP_COST_PER_BYTE);
    return parsed;
  }

  async minified(key: string, load: () => Promise<string>): Promise<ParsedMinified> {
    const hit = this.get(key);
    if (hit !== undefined) return hit as ParsedMinified;
    const text = await load();
    let index: MinifiedIndex | undefined;
    const parsed: ParsedMinified = { text, index: () => (index ??= indexMinifiedSource(text)) };
    this.set(key, parsed, text.length * MINIFIED_COST_PER_BYTE);
    return parsed;
  }

  private get(key: string): Entry["value"] | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  private set(key: string, value: Entry["value"], cost: number): void {
    // One that alone exceeds the budget is used once and not kept.
    if (cost > this.budget) return;
    this.entries.set(key, { value, cost });
    this.total += cost;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.budget) break;
      this.entries.delete(oldest);
      this.total -= entry.cost;
    }
  }
}

/** The isolate's cache: module state outlives a request, not the isolate. */
export const sourceMapCache = new SourceMapCache();
