// The script of the browser test's page, bundled with the installed @sentry/browser (the npm package
// ships no ready-made browser bundle). The test calls window.reportToFaultline and gets back the
// event ids the SDK returned.
import * as Sentry from "@sentry/browser";

window.reportToFaultline = async (dsn) => {
  Sentry.init({ dsn, release: "faultline-e2e-browser@1.0.0", environment: "e2e" });
  Sentry.setTag("suite", "browser-sdk");
  let exceptionId;
  try {
    JSON.parse("{not json");
  } catch (err) {
    exceptionId = Sentry.captureException(err);
  }
  const messageId = Sentry.captureMessage("browser page finished loading", "info");
  const flushed = await Sentry.flush(10_000);
  return { exceptionId, messageId, flushed };
};
