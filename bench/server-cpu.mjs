// CPU time of the processes behind `wrangler dev`, per role, read from /proc (Linux only).
// Throughput on a shared machine swings with everyone else's load; CPU spent per request by
// each server process is steadier, and shows where the cost is.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

let ticksPerSecond;

/**
 * CPU seconds used so far by each process in the process group `pgid` (wrangler dev runs in its
 * own group), keyed by role: `proxy` is the workerd listening on `port` in front of the Worker,
 * `worker` the workerd running it, `wrangler` the rest (node, esbuild). Null without /proc.
 */
export function serverCpu(pgid, port) {
  let entries;
  try {
    entries = readdirSync("/proc");
  } catch {
    return null;
  }
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  const byRole = { proxy: 0, worker: 0, wrangler: 0 };
  const pids = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    let cmdline;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
      cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the parenthesised command name: state ppid pgrp ... utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) !== pgid) continue;
    const seconds = (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
    const isWorkerd = cmdline[0]?.endsWith("/workerd");
    const role = !isWorkerd ? "wrangler" : cmdline.includes(`--socket-addr=entry=127.0.0.1:${port}`) ? "proxy" : "worker";
    byRole[role] += seconds;
    pids.push(Number(name));
  }
  return { ...byRole, pids: pids.sort((a, b) => a - b).join(",") };
}

/** CPU seconds per role between two snapshots; `restarted` when the set of processes changed (a reload). */
export function cpuDelta(before, after) {
  if (!before || !after) return null;
  return {
    proxy: after.proxy - before.proxy,
    worker: after.worker - before.worker,
    wrangler: after.wrangler - before.wrangler,
    restarted: before.pids !== after.pids,
  };
}

/**
 * Waits until the server processes use less than `share` of a core over `windowMs` (the queue
 * consumer has caught up), so one scenario's backlog does not slow the next. Returns the seconds
 * waited; gives up after `maxSeconds`.
 */
export async function waitForIdle(pgid, port, { share = 0.1, windowMs = 500, maxSeconds = 120 } = {}) {
  const started = Date.now();
  let previous = serverCpu(pgid, port);
  if (!previous) return 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, windowMs));
    const current = serverCpu(pgid, port);
    const busy = current.proxy + current.worker + current.wrangler - (previous.proxy + previous.worker + previous.wrangler);
    previous = current;
    const waited = (Date.now() - started) / 1000;
    if (busy < (share * windowMs) / 1000 || waited > maxSeconds) return waited;
  }
}
