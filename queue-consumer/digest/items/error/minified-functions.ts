/**
 * Where the functions of a minified file are declared. Sentry names a symbolicated frame after
 * the scope that encloses it, from a parse of the minified file's scopes (symbolic's
 * sourcemapcache). A JavaScript engine already names that scope in the frame (V8's `at e (...)`,
 * the minified name); what is left is finding that name's declaration before the frame's
 * position, whose original name the source map keeps. A scan for declarations does that without
 * a parser: the nearest declaration of the name before the position is the enclosing one,
 * except when a sibling function of the same minified name sits between them.
 */
export interface MinifiedIndex {
  /** Offset of each line's first character. */
  lineStarts: number[];
  /** Offsets of every declaration of a name, ascending. */
  declarations: Map<string, number[]>;
}

const IDENT = "[A-Za-z_$][\\w$]*";
const WHOLE_IDENT = new RegExp(`^${IDENT}$`);
const DECLARATION = new RegExp(
  [
    // function name(  function* name(
    `\\bfunction\\s*\\*?\\s*(${IDENT})\\s*\\(`,
    // name = function / name = (...) => / name = x =>  (also `async`)
    `(${IDENT})\\s*=\\s*(?:async\\s*)?(?:function\\b|\\([^()]*\\)\\s*=>|${IDENT}\\s*=>)`,
    // name: function
    `(${IDENT})\\s*:\\s*(?:async\\s*)?function\\b`,
    // methods: {name(...){  ;static async name(...){
    `[{};,]\\s*(?:(?:static|async|get|set)\\s+)*\\*?\\s*(${IDENT})\\s*\\([^()]*\\)\\s*\\{`,
  ].join("|"),
  "gd",
);
const NOT_METHODS = new Set(["if", "for", "while", "switch", "catch", "function", "return", "with", "typeof", "new", "await", "yield"]);

export function indexMinifiedSource(text: string): MinifiedIndex {
  const lineStarts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const declarations = new Map<string, number[]>();
  DECLARATION.lastIndex = 0;
  for (let match = DECLARATION.exec(text); match !== null; match = DECLARATION.exec(text)) {
    const group = [1, 2, 3, 4].find((g) => match![g] !== undefined)!;
    const name = match[group]!;
    if (group === 4 && NOT_METHODS.has(name)) {
      // Let the next match start inside this one (the body's first declaration).
      DECLARATION.lastIndex = match.indices![group]![1];
      continue;
    }
    const at = match.indices![group]![0];
    const list = declarations.get(name);
    if (list === undefined) declarations.set(name, [at]);
    else list.push(at);
    // Overlapping matches: a declaration may start inside the one just found.
    DECLARATION.lastIndex = match.indices![group]![1];
  }
  return { lineStarts, declarations };
}

/**
 * The minified function name of a V8 or SpiderMonkey frame, without what the engine adds:
 * `Object.e`, `new e`, `async e`, `e [as run]` are all `e`. Null for anonymous functions.
 */
export function minifiedFunctionName(frameFunction: string | undefined): string | null {
  if (frameFunction === undefined) return null;
  const name = frameFunction
    .replace(/ \[as [^\]]*\]$/, "")
    .replace(/^(?:new|async) /, "")
    .split(".")
    .pop()!
    .replace(/[/<]+$/, "");
  return WHOLE_IDENT.test(name) ? name : null;
}

/** The declaration of `name` nearest before a 1-based line and column: its 1-based line and 0-based column. */
export function declarationBefore(
  index: MinifiedIndex,
  name: string,
  line: number,
  column: number,
): { line: number; column: number } | null {
  const offsets = index.declarations.get(name);
  const lineStart = index.lineStarts[line - 1];
  if (offsets === undefined || lineStart === undefined) return null;
  const position = lineStart + Math.max(0, column - 1);
  let low = 0;
  let high = offsets.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (offsets[mid]! <= position) {
      found = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  if (found === -1) return null;
  const offset = offsets[found]!;
  let lo = 0;
  let hi = index.lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (index.lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - index.lineStarts[lo]! };
}
