// The dashboard benchmark's data, made inside D1 by SQL (recursive CTEs), so a million events
// take seconds to write rather than a million requests: projects, issues in every status, events
// spread over 14 days with releases, environments, users and tags, and the digest's counters
// (hourly buckets, users, tag values, releases, environments) computed from those events.
import { gzipSync } from "node:zlib";

const HOUR = 3_600_000;
const SPREAD_SECONDS = 14 * 24 * 3600;
// Each issue has 1 to 39 events, (id % 39) + 1: an average of 20, some with many, most with few.
export const MAX_EVENTS_PER_ISSUE = 39;

export function eventsPerIssue(id) {
  return (id % MAX_EVENTS_PER_ISSUE) + 1;
}

/** The stored event every row carries: a realistic normalized Python error, gzip'd as the digest stores it. */
function eventBlob() {
  const frames = Array.from({ length: 12 }, (_, i) => ({
    filename: `app/handlers/orders_${i}.py`,
    abs_path: `/srv/app/handlers/orders_${i}.py`,
    function: `handle_step_${i}`,
    module: `app.handlers.orders_${i}`,
    lineno: 40 + i,
    pre_context: ["    order = load_order(order_id)", "    if order is None:", "        raise NotFound(order_id)"],
    context_line: `    total = compute_total(order.items[${i}])`,
    post_context: ["    return render(order, total)", ""],
    in_app: i > 3,
    vars: { order_id: `'ord_${i}'`, attempt: String(i) },
  }));
  const event = {
    event_id: "0".repeat(32),
    platform: "python",
    level: "error",
    release: "app@1.2",
    environment: "production",
    exception: { values: [{ type: "KeyError", value: "'total'", mechanism: { type: "generic", handled: false }, stacktrace: { frames } }] },
    breadcrumbs: {
      values: Array.from({ length: 10 }, (_, i) => ({
        timestamp: 1.7e9 + i,
        category: "query",
        message: `SELECT * FROM orders WHERE id = ${i}`,
        level: "info",
      })),
    },
    request: {
      url: "https://shop.example/api/orders/42",
      method: "POST",
      headers: [
        ["User-Agent", "python-requests/2.31"],
        ["Authorization", "[Filtered]"],
      ],
    },
    user: { id: "user-3", ip_address: "192.0.2.10" },
    contexts: { runtime: { name: "CPython", version: "3.12.1" }, os: { name: "Linux" } },
    sdk: { name: "sentry.python", version: "2.19.0" },
    tags: [
      ["environment", "production"],
      ["release", "app@1.2"],
      ["server_name", "web-1"],
    ],
  };
  return gzipSync(JSON.stringify(event));
}

/**
 * The statements, in order. `projects` projects (the seeded project 1 plus bench-2...), `issues`
 * issues dealt round-robin to them, times relative to `now`.
 */
export function seedStatements({ projects, issues, now, chunk = 5_000 }) {
  const blob = `X'${eventBlob().toString("hex")}'`;
  const statements = [];
  for (let p = 2; p <= projects; p++) {
    statements.push(
      `INSERT INTO projects (id, organization_id, slug, name, platform, created_at) VALUES (${p}, 1, 'bench-${p}', 'Bench ${p}', 'python', ${now})`,
    );
  }
  statements.push(`WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${issues})
INSERT INTO issues (id, project_id, fingerprint, grouping, type, title, culprit, level, platform, status, substatus, first_seen, last_seen, times_seen, user_count)
SELECT n, ((n - 1) % ${projects}) + 1, printf('%064x', n), '[]', 'error',
  'KeyError: ''total'' in handler ' || n, 'app.handlers.orders_' || (n % 97) || ' in handle_step',
  CASE WHEN n % 10 = 0 THEN 'warning' ELSE 'error' END, 'python',
  CASE WHEN n % 20 < 15 THEN 'unresolved' WHEN n % 20 < 19 THEN 'resolved' ELSE 'ignored' END,
  'ongoing', 0, 0, 0, 0
FROM seq`);
  // Event m of issue n: release app@1.(m % 4), staging one time in five, user m % 7.
  const ts = `(${now} - ((i.id * 7919 + k.m * 104729) % ${SPREAD_SECONDS}) * 1000)`;
  for (let from = 1; from <= issues; from += chunk) {
    const to = Math.min(issues, from + chunk - 1);
    statements.push(`WITH RECURSIVE k(m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM k WHERE m < ${MAX_EVENTS_PER_ISSUE})
INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at, level, title, release, environment, user_key, tags, data, ingest_batch)
SELECT i.project_id, printf('%016x%016x', i.id, k.m), i.id, ${ts}, ${ts} + 500, i.level, i.title,
  'app@1.' || (k.m % 4), CASE k.m % 5 WHEN 0 THEN 'staging' ELSE 'production' END, 'id:user-' || (k.m % 7),
  json_array(json_array('environment', CASE k.m % 5 WHEN 0 THEN 'staging' ELSE 'production' END), json_array('release', 'app@1.' || (k.m % 4)), json_array('server_name', 'web-' || (k.m % 3))),
  ${blob}, 'bench'
FROM issues i JOIN k ON k.m <= (i.id % ${MAX_EVENTS_PER_ISSUE}) + 1
WHERE i.id BETWEEN ${from} AND ${to}`);
  }
  statements.push(
    `UPDATE issues SET
  times_seen = (id % ${MAX_EVENTS_PER_ISSUE}) + 1,
  user_count = min((id % ${MAX_EVENTS_PER_ISSUE}) + 1, 7),
  first_seen = (SELECT min(timestamp) FROM events WHERE issue_id = issues.id),
  last_seen = (SELECT max(timestamp) FROM events WHERE issue_id = issues.id),
  first_release = 'app@1.1',
  last_release = 'app@1.' || (((id % ${MAX_EVENTS_PER_ISSUE}) + 1) % 4),
  last_event_id = printf('%016x%016x', id, (id % ${MAX_EVENTS_PER_ISSUE}) + 1)`,
    `INSERT INTO issue_hourly (issue_id, hour, count) SELECT issue_id, timestamp - timestamp % ${HOUR}, count(*) FROM events GROUP BY 1, 2`,
    `INSERT INTO project_hourly (project_id, hour, count) SELECT i.project_id, h.hour, sum(h.count) FROM issue_hourly h JOIN issues i ON i.id = h.issue_id GROUP BY 1, 2`,
    `INSERT INTO issue_users (issue_id, user_key, first_seen, ingest_batch) SELECT issue_id, user_key, min(timestamp), 'bench' FROM events GROUP BY 1, 2`,
    ...["environment", "release"].map(
      (key) =>
        `INSERT INTO issue_tags (issue_id, key, value, count, first_seen, last_seen, project_id) SELECT issue_id, '${key}', ${key}, count(*), min(timestamp), max(timestamp), project_id FROM events GROUP BY issue_id, ${key}`,
    ),
    `INSERT INTO issue_tags (issue_id, key, value, count, first_seen, last_seen, project_id) SELECT issue_id, 'server_name', json_extract(tags, '$[2][1]'), count(*), min(timestamp), max(timestamp), project_id FROM events GROUP BY 1, 3`,
    `INSERT INTO releases (project_id, version, first_seen, last_seen) SELECT project_id, release, min(timestamp), max(timestamp) FROM events GROUP BY 1, 2`,
    `INSERT INTO environments (project_id, name, first_seen) SELECT project_id, environment, min(timestamp) FROM events GROUP BY 1, 2`,
  );
  return statements;
}

export function totalEvents(issues) {
  let total = 0;
  for (let id = 1; id <= issues; id++) total += eventsPerIssue(id);
  return total;
}
