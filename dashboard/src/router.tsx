import type { AnchorHTMLAttributes, ComponentChildren, TargetedMouseEvent } from "preact";
import { useEffect, useState } from "preact/hooks";
import { sameOriginPath } from "./safe-next";

/**
 * Client-side navigation with the History API. State that a person may want to share or come
 * back to (search, sort, page, selected event) lives in the URL's query string.
 */
type Listener = () => void;
const listeners = new Set<Listener>();

/** Goes to a page of this dashboard; a target on another origin is not followed. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  // A target may come from a URL (login's `next`): following it off the dashboard would be an open redirect.
  const path = sameOriginPath(to, location.href);
  if (path === null) return;
  if (options.replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  for (const listener of listeners) listener();
  if (!options.replace) window.scrollTo(0, 0);
}

addEventListener("popstate", () => {
  for (const listener of listeners) listener();
});

export interface Location {
  path: string;
  query: URLSearchParams;
  href: string;
}

function current(): Location {
  return { path: location.pathname, query: new URLSearchParams(location.search), href: location.pathname + location.search };
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = () => setLoc(current());
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return loc;
}

/** A URL of this page with some query parameters changed (null removes one). */
export function withQuery(loc: Location, changes: Record<string, string | null>): string {
  const query = new URLSearchParams(loc.query);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === "") query.delete(key);
    else query.set(key, value);
  }
  const search = query.toString();
  return search === "" ? loc.path : `${loc.path}?${search}`;
}

type AnchorProps = AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

/** An ordinary link (opens in a new tab with a modifier key) that navigates in place otherwise. */
export function Link({ href, children, ...rest }: AnchorProps) {
  const onClick = (e: TargetedMouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
