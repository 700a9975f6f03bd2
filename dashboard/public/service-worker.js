// The dashboard's service worker: shows push alerts (Push API,
// https://www.w3.org/TR/push-api/) and opens the issue when one is clicked. The payload is what
// the Worker's alerts consumer sends (alert-channels/build-push-request.ts): {title, body, url, tag}.
self.addEventListener("push", (event) => {
  let alert = {};
  try {
    alert = event.data ? event.data.json() : {};
  } catch {
    alert = { body: event.data ? event.data.text() : "" };
  }
  const title = typeof alert.title === "string" ? alert.title : "Faultline alert";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: typeof alert.body === "string" ? alert.body : "",
      tag: typeof alert.tag === "string" ? alert.tag : undefined,
      data: { url: typeof alert.url === "string" ? alert.url : "/" },
      icon: "/favicon.svg",
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url ?? "/", self.location.origin);
  // Only this dashboard's own pages: a notification never sends anyone elsewhere.
  const url = target.origin === self.location.origin ? target.href : self.location.origin;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => w.url === url);
      return open ? open.focus() : self.clients.openWindow(url);
    }),
  );
});
