// The metric names a PromQL expression (as a Grafana board writes it) selects: what is left once Grafana's
// variables, strings, label matchers, range selectors, label lists (by, without, on, ignoring, group_left,
// group_right) and function calls are set aside. Enough for the expressions our board uses, and strict:
// an identifier it cannot place is returned as a metric name, so the board test fails on it.

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring']);

export function metricNamesOf(expr: string): string[] {
  const stripped = expr
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ') // Grafana variables ($instance, ${datasource}, $__rate_interval)
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery selectors
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice(m.index + m[0].length);
    if (/^\s*\(/.test(after)) continue; // a function (or aggregation) call
    if (KEYWORDS.has(m[0])) continue;
    // Digits of a number (0.95, 1e3) are not identifiers: skip an identifier glued to a digit before it.
    if (m.index > 0 && /[0-9.]/.test(stripped[m.index - 1]!)) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** The metric of a Grafana query variable's `label_values(metric{...}, label)` (or `metrics(...)`). */
export function variableMetric(query: string): string | undefined {
  const m = /^\s*label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(query);
  return m?.[1];
}
