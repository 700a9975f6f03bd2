/**
 * A trace as Sentry's trace endpoint answers it: a list of root nodes, each span (and each
 * transaction, whose root span it is) with its children nested by `parent_span_id` and sorted by
 * start, and the trace's errors on the span they happened in (or as nodes of their own when that
 * span is not in the trace). Built defensively from what SDKs sent: a span id seen twice is kept
 * once, parent chains that loop are cut (the span that closes the loop becomes a root), and a
 * chain deeper than MAX_DEPTH hangs its deeper spans from its ancestor at that depth, so the
 * answer is always a tree a page can draw.
 */
import type { StoredSpan, StoredSpanTree } from "../../../protocol/span-tree";

export interface TraceErrorNode {
  event_type: "error";
  event_id: string;
  issue_id: number;
  issue: string;
  title: string;
  level: string;
  project_id: number;
  project_slug: string;
  span_id: string | null;
  timestamp: number;
}

export interface TraceSpanNode {
  event_type: "transaction" | "span";
  /** The transaction's event id; for a span, its span id (Sentry's trace nodes always have one). */
  event_id: string;
  span_id: string;
  parent_span_id: string | null;
  project_id: number;
  project_slug: string;
  /** The transaction (segment) the span belongs to. */
  transaction: string | null;
  transaction_id: string | null;
  is_transaction: boolean;
  op: string;
  description: string;
  name: string;
  start_timestamp: number;
  end_timestamp: number;
  /** Milliseconds. */
  duration: number;
  status: string;
  data: Record<string, string | number | boolean>;
  errors: TraceErrorNode[];
  children: TraceSpanNode[];
}

export type TraceNode = TraceSpanNode | TraceErrorNode;

export const MAX_DEPTH = 100;
export const MAX_SPANS = 10_000;

export interface TraceTreePart {
  projectId: number;
  projectSlug: string;
  eventId: string | null;
  tree: StoredSpanTree;
}

export function buildTrace(parts: readonly TraceTreePart[], errors: readonly TraceErrorNode[]): { roots: TraceNode[]; truncated: boolean } {
  const nodes = new Map<string, TraceSpanNode>();
  let truncated = false;
  for (const part of parts) {
    const rootId = part.tree.kind === "spans" ? null : part.tree.segment_id;
    for (const span of part.tree.spans) {
      if (nodes.has(span.span_id)) continue;
      if (nodes.size >= MAX_SPANS) {
        truncated = true;
        break;
      }
      nodes.set(span.span_id, nodeOf(span, part, span.span_id === rootId));
    }
  }
  const parentOf = new Map<string, string | null>();
  for (const node of nodes.values())
    parentOf.set(node.span_id, node.parent_span_id !== null && nodes.has(node.parent_span_id) ? node.parent_span_id : null);
  cutLoops(parentOf);
  capDepth(parentOf);

  const roots: TraceNode[] = [];
  for (const node of nodes.values()) {
    const parent = parentOf.get(node.span_id) ?? null;
    if (parent === null) roots.push(node);
    else nodes.get(parent)!.children.push(node);
  }
  for (const error of errors) {
    const span = error.span_id === null ? undefined : nodes.get(error.span_id);
    if (span !== undefined) span.errors.push(error);
    else roots.push(error);
  }
  for (const node of nodes.values()) node.children.sort(byStart);
  roots.sort((a, b) => startOf(a) - startOf(b));
  return { roots, truncated };
}

function nodeOf(span: StoredSpan, part: TraceTreePart, isTransaction: boolean): TraceSpanNode {
  return {
    event_type: isTransaction ? "transaction" : "span",
    event_id: isTransaction && part.eventId !== null ? part.eventId : span.span_id,
    span_id: span.span_id,
    parent_span_id: span.parent_span_id,
    project_id: part.projectId,
    project_slug: part.projectSlug,
    transaction: part.tree.transaction,
    transaction_id: part.tree.segment_id,
    is_transaction: isTransaction,
    op: span.op,
    description: span.description,
    name: isTransaction ? (part.tree.transaction ?? span.description) : span.description,
    start_timestamp: span.start_timestamp,
    end_timestamp: span.timestamp,
    duration: Math.round((span.timestamp - span.start_timestamp) * 1e6) / 1e3,
    status: span.status,
    data: span.data ?? {},
    errors: [],
    children: [],
  };
}

/** Walks each parent chain once; where it comes back to itself, the span closing the loop becomes a root. */
function cutLoops(parentOf: Map<string, string | null>): void {
  const done = new Set<string>();
  for (const start of parentOf.keys()) {
    const path = new Set<string>();
    let id: string | null = start;
    while (id !== null && !done.has(id)) {
      path.add(id);
      const parent: string | null = parentOf.get(id) ?? null;
      if (parent !== null && path.has(parent)) {
        parentOf.set(id, null);
        break;
      }
      id = parent;
    }
    for (const p of path) done.add(p);
  }
}

/** Spans deeper than MAX_DEPTH hang from their ancestor at depth MAX_DEPTH - 1 (walked from the roots, no recursion). */
function capDepth(parentOf: Map<string, string | null>): void {
  const children = new Map<string | null, string[]>();
  for (const [id, parent] of parentOf) children.set(parent, [...(children.get(parent) ?? []), id]);
  // [span, its depth, the ancestor at depth MAX_DEPTH - 1 once there is one]
  const stack: Array<[string, number, string | null]> = (children.get(null) ?? []).map((id) => [id, 0, null]);
  while (stack.length > 0) {
    const [id, depth, anchor] = stack.pop()!;
    for (const child of children.get(id) ?? []) {
      if (anchor === null) {
        stack.push([child, depth + 1, depth + 1 === MAX_DEPTH - 1 ? child : null]);
      } else {
        parentOf.set(child, anchor);
        stack.push([child, depth + 1, anchor]);
      }
    }
  }
}

function startOf(node: TraceNode): number {
  return node.event_type === "error" ? node.timestamp / 1000 : node.start_timestamp;
}

function byStart(a: TraceSpanNode, b: TraceSpanNode): number {
  return a.start_timestamp - b.start_timestamp;
}
