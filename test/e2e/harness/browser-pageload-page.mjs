// The script of the browser performance test's page, bundled with the installed @sentry/browser:
// it starts the SDK with browser tracing as the page loads (the DSN comes in the URL's fragment),
// so the SDK measures the pageload and its Web Vitals and sends them as a span stream.
import * as Sentry from "@sentry/browser";

Sentry.init({
  dsn: decodeURIComponent(location.hash.slice(1)),
  release: "shop-web@1.0.0",
  environment: "e2e",
  integrations: [Sentry.browserTracingIntegration({ idleTimeout: 500 })],
  tracesSampleRate: 1,
});

/** Waits for the pageload span to end (it ends once the page is idle), then sends what is queued. */
window.finishPageload = async () => {
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  return Sentry.flush(10_000);
};
