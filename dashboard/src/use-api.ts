import { useCallback, useEffect, useState } from "preact/hooks";
import { type PageLinks, request } from "./api-client";
import { errorText } from "./components/form-error";

export interface Loaded<T> {
  data: T | null;
  links: PageLinks;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** GETs a path whenever it changes; an answer for a path no longer asked for is dropped. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ path: string | null; data: T | null; links: PageLinks; error: string | null }>({
    path: null,
    data: null,
    links: { previous: null, next: null },
    error: null,
  });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let current = true;
    request<T>("GET", path).then(
      (r) => current && setState({ path, data: r.data, links: r.links, error: null }),
      (err) => current && setState({ path, data: null, links: { previous: null, next: null }, error: errorText(err) }),
    );
    return () => {
      current = false;
    };
  }, [path, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const fresh = state.path === path;
  return { data: fresh ? state.data : null, links: state.links, error: fresh ? state.error : null, loading: !fresh, reload };
}
