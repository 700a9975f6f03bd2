// The page of the dashboard's browser test that sends a real error: @sentry/browser, bundled, with
// a few breadcrumbs before the error, like an app a person was clicking through.
import * as Sentry from "@sentry/browser";

function parseCartTotal(text) {
  return JSON.parse(text).total;
}

window.reportCheckoutError = async (dsn) => {
  Sentry.init({ dsn, release: "shop@2.4.0", environment: "production" });
  Sentry.setTag("checkout_step", "payment");
  Sentry.setUser({ id: "customer-7", email: "customer7@example.com" });
  Sentry.addBreadcrumb({ category: "ui.click", message: "button#pay-now", level: "info" });
  Sentry.addBreadcrumb({ category: "navigation", data: { from: "/cart", to: "/checkout" } });
  let eventId;
  try {
    parseCartTotal("{not valid json");
  } catch (err) {
    eventId = Sentry.captureException(err);
  }
  const flushed = await Sentry.flush(10_000);
  return { eventId, flushed };
};
