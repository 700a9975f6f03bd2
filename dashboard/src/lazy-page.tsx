import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";

/**
 * A page whose code is fetched the first time it is shown, so the first visit downloads only
 * the login, the layout and the issue stream. Once fetched, the page renders at once on every
 * later visit. A chunk that cannot be fetched (offline, or a deploy replaced it) says so and
 * offers a reload instead of a blank page.
 */
export function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  const fetchPage = () => {
    pending ??= load().then(
      (page) => (loaded = page),
      (err: unknown) => {
        pending = null; // a later visit tries again
        throw err;
      },
    );
    return pending;
  };
  return function LazyPage(props: P) {
    const [page, setPage] = useState<{ component: ComponentType<P> | null }>({ component: loaded });
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (page.component !== null) return;
      let live = true;
      fetchPage().then(
        (component) => live && setPage({ component }),
        () => live && setFailed(true),
      );
      return () => {
        live = false;
      };
    }, [page.component]);
    if (page.component !== null) {
      const Page = page.component;
      return <Page {...props} />;
    }
    if (failed)
      return (
        <p class="form-error" role="alert">
          This page could not be loaded.{" "}
          <button type="button" class="button" onClick={() => location.reload()}>
            Reload
          </button>
        </p>
      );
    return (
      <p class="loading" role="status">
        Loading…
      </p>
    );
  };
}
