/** Where login goes when it has no `next`, or one that leads off this dashboard. */
export const DEFAULT_NEXT = "/";

/**
 * `target` resolved against `base` (a URL of this dashboard), as the path, query and hash to go
 * to; null when it leads to another origin. It is resolved because that is what the browser does
 * with it, and looking at its first characters is not: the URL parser drops tabs and line breaks
 * and reads `\` as `/`, so `/\t/evil.example` and `/\evil.example` both mean `//evil.example`.
 */
export function sameOriginPath(target: string, base: string): string | null {
  let url: URL;
  let origin: string;
  try {
    url = new URL(target, base);
    origin = new URL(base).origin;
  } catch {
    return null;
  }
  if (url.origin !== origin) return null;
  const path = url.pathname + url.search + url.hash;
  // A path that starts `//` once resolved (`/.//evil.example`) would name a host when used again.
  return new URL(path, origin).href === url.href ? path : null;
}

/** Where to go after logging in: `next` when it stays on the dashboard at `origin`, the default page otherwise. */
export function safeNextPath(next: string | null, origin: string): string {
  return (next === null ? null : sameOriginPath(next, origin)) ?? DEFAULT_NEXT;
}
