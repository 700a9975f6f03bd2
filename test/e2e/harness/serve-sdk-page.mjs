// A page whose script (bundled from `entry`, with the installed @sentry/browser) runs on a
// loopback origin of its own, so everything it sends to the Worker is cross-origin.
import { createServer } from "node:http";
import { build } from "esbuild";
import { freePort } from "../../../scripts/local-dev.mjs";

/** Serves `/` (a page titled `title` that loads the bundle) and `/page.js`; resolves to its origin. */
export async function serveSdkPage(entry, title) {
  const bundle = await build({
    entryPoints: [entry],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const script = bundle.outputFiles[0].contents;
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><script src="/page.js"></script></head><body>${title}</body></html>`;
  const server = createServer((req, res) => {
    if (req.url === "/") res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    else if (req.url === "/page.js") res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    else res.writeHead(404).end();
  });
  const port = await freePort();
  await new Promise((done) => server.listen(port, "127.0.0.1", done));
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((done) => server.close(done)) };
}
