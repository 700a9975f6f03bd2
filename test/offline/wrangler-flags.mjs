// The wrangler commands `npm run setup` and `npm run deploy` use, with the long flags each takes
// in wrangler 4.86.0 (besides the global ones). The stand-in refuses any other flag;
// wrangler-flags.test.mjs checks every one against the real CLI's --help.
export const COMMAND_FLAGS = {
  whoami: ["account", "json"],
  "d1 list": ["json"],
  "d1 create": ["location", "jurisdiction", "use-remote", "update-config", "binding"],
  "d1 migrations apply": ["local", "remote", "preview", "persist-to"],
  "d1 execute": ["command", "file", "yes", "local", "remote", "persist-to", "json", "preview"],
  "queues list": ["page"],
  "queues create": ["delivery-delay-secs", "message-retention-period-secs"],
  "r2 bucket list": ["jurisdiction"],
  "r2 bucket create": ["location", "storage-class", "jurisdiction", "use-remote", "update-config", "binding"],
  "pages project list": ["json"],
  "pages project create": ["production-branch", "compatibility-flags", "compatibility-date"],
  "secret list": ["name", "format"],
  "secret put": ["name"],
  "pages secret list": ["project-name"],
  "pages secret put": ["project-name"],
  "pages deploy": [
    "project-name",
    "branch",
    "commit-hash",
    "commit-message",
    "commit-dirty",
    "skip-caching",
    "no-bundle",
    "upload-source-maps",
  ],
  deploy: [
    "name",
    "no-bundle",
    "outdir",
    "outfile",
    "compatibility-date",
    "compatibility-flags",
    "latest",
    "assets",
    "var",
    "define",
    "alias",
    "triggers",
    "routes",
    "domains",
    "minify",
    "dry-run",
    "keep-vars",
    "tag",
    "message",
    "strict",
    "secrets-file",
  ],
};

/** Global flags: Pages commands hide --config and --env (the Pages config is found on its own). */
export function globalFlags(command) {
  return command.startsWith("pages ") ? ["cwd", "env-file", "help", "version"] : ["config", "cwd", "env", "env-file", "help", "version"];
}
