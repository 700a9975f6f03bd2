/**
 * Setup snippets for the official Sentry SDKs, pointed at a Faultline DSN. Each is the smallest
 * working setup: install, initialize once at startup.
 */
export interface Platform {
  id: string;
  label: string;
  install: string;
  language: string;
  code: (dsn: string) => string;
}

const js = (s: string) => JSON.stringify(s);

export const PLATFORMS: Platform[] = [
  {
    id: "javascript-browser",
    label: "JavaScript (browser)",
    install: "npm install @sentry/browser",
    language: "javascript",
    code: (dsn) => `import * as Sentry from "@sentry/browser";

Sentry.init({
  dsn: ${js(dsn)},
  release: "my-app@1.0.0",
  environment: "production",
});`,
  },
  {
    id: "node",
    label: "Node.js",
    install: "npm install @sentry/node",
    language: "javascript",
    code: (dsn) => `// instrument.mjs, loaded before the app: node --import ./instrument.mjs app.mjs
import * as Sentry from "@sentry/node";

Sentry.init({
  dsn: ${js(dsn)},
  environment: process.env.NODE_ENV ?? "production",
});`,
  },
  {
    id: "python",
    label: "Python",
    install: "pip install sentry-sdk",
    language: "python",
    code: (dsn) => `import sentry_sdk

sentry_sdk.init(
    dsn=${js(dsn)},
    environment="production",
)`,
  },
  {
    id: "python-django",
    label: "Django",
    install: 'pip install "sentry-sdk[django]"',
    language: "python",
    code: (dsn) => `# settings.py
import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

sentry_sdk.init(
    dsn=${js(dsn)},
    integrations=[DjangoIntegration()],
    # Faultline groups errors; transactions are kept but not charted, so sample few or none.
    traces_sample_rate=0.0,
)`,
  },
  {
    id: "go",
    label: "Go",
    install: "go get github.com/getsentry/sentry-go",
    language: "go",
    code: (dsn) => `import (
	"log"
	"time"

	"github.com/getsentry/sentry-go"
)

func main() {
	if err := sentry.Init(sentry.ClientOptions{Dsn: ${js(dsn)}}); err != nil {
		log.Fatalf("sentry.Init: %s", err)
	}
	// Send what is buffered before the program exits.
	defer sentry.Flush(2 * time.Second)
}`,
  },
  {
    id: "ruby",
    label: "Ruby",
    install: "bundle add sentry-ruby",
    language: "ruby",
    code: (dsn) => `require "sentry-ruby"

Sentry.init do |config|
  config.dsn = ${js(dsn)}
end`,
  },
  {
    id: "php",
    label: "PHP",
    install: "composer require sentry/sentry",
    language: "php",
    code: (dsn) => `<?php
require __DIR__ . '/vendor/autoload.php';

\\Sentry\\init([
    'dsn' => '${dsn.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}',
]);`,
  },
  {
    id: "java",
    label: "Java",
    install: "implementation 'io.sentry:sentry:8.+'   // Gradle; or the io.sentry:sentry Maven artifact",
    language: "java",
    code: (dsn) => `import io.sentry.Sentry;

public class Main {
    public static void main(String[] args) {
        Sentry.init(options -> options.setDsn(${js(dsn)}));
    }
}`,
  },
];

export function platformLabel(id: string | null): string {
  return PLATFORMS.find((p) => p.id === id)?.label ?? id ?? "Other";
}
