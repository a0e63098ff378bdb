/**
 * Formats the benchmark results written by bench/run.sh (a TSV of
 * `name, metric, skiff, podman, kind, target, note`) as a table on stdout, and writes them
 * as JSON to `<results dir>/latest.json` and a timestamped copy.
 *
 * ```sh
 * deno run -A bench/report.ts results.tsv bench/results rounds=5 commit=abc123
 * ```
 *
 * @module
 */

/** One benchmark's outcome. */
export interface BenchResult {
  name: string;
  metric: string;
  skiff: number | null;
  /** The podman value, or for `diff` rows the baseline the skiff value is compared with. */
  podman: number | null;
  /** `ratio`: skiff/podman compared with target; `diff`: skiff - baseline compared with target. */
  kind: "ratio" | "diff";
  /** ratio (kind ratio) or difference in the metric's unit (kind diff). */
  value: number | null;
  target: number;
  verdict: "ok" | "miss" | "skipped";
  note: string;
}

function num(s: string | undefined): number | null {
  if (s === undefined || s.trim() === "") return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/** Parses run.sh's TSV lines into results with ratios and verdicts. */
export function parseResults(tsv: string): BenchResult[] {
  const out: BenchResult[] = [];
  for (const line of tsv.split("\n")) {
    if (!line.trim()) continue;
    const [name, metric, s, p, kind, target, note = ""] = line.split("\t");
    const skiff = num(s);
    const podman = num(p);
    const k = kind === "diff" ? "diff" : "ratio";
    let value: number | null = null;
    if (skiff !== null && podman !== null) {
      value = k === "ratio" ? (podman > 0 ? skiff / podman : null) : skiff - podman;
    }
    const t = Number(target);
    out.push({
      name,
      metric,
      skiff,
      podman,
      kind: k,
      value: value === null ? null : Math.round(value * 1000) / 1000,
      target: t,
      verdict: value === null ? "skipped" : value <= t ? "ok" : "miss",
      note,
    });
  }
  return out;
}

/** Renders results as a fixed-width text table. */
export function formatTable(results: BenchResult[]): string {
  const header = ["benchmark", "metric", "skiff", "podman/base", "result", "target", "", "note"];
  const rows = results.map((r) => [
    r.name,
    r.metric,
    r.skiff === null ? "-" : String(r.skiff),
    r.podman === null ? "-" : String(r.podman),
    r.value === null
      ? "-"
      : r.kind === "ratio"
      ? `${r.value.toFixed(2)}x`
      : `${r.value >= 0 ? "+" : ""}${r.value.toFixed(1)}`,
    r.kind === "ratio" ? `<= ${r.target}x` : `<= +${r.target}`,
    r.verdict === "ok" ? "OK" : r.verdict === "miss" ? "MISS" : "SKIP",
    r.note,
  ]);
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const fmt = (row: string[]) =>
    row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [fmt(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(fmt)].join(
    "\n",
  );
}

if (import.meta.main) {
  const [tsvPath, outDir, ...metaArgs] = Deno.args;
  if (!tsvPath || !outDir) {
    console.error("Usage: report.ts RESULTS.tsv OUT_DIR [key=value...]");
    Deno.exit(2);
  }
  const results = parseResults(await Deno.readTextFile(tsvPath));
  const meta: Record<string, string> = {};
  for (const a of metaArgs) {
    const i = a.indexOf("=");
    if (i > 0) meta[a.slice(0, i)] = a.slice(i + 1);
  }
  const date = new Date().toISOString();
  const doc = { date, host: Deno.hostname(), cpus: navigator.hardwareConcurrency, meta, results };
  await Deno.mkdir(outDir, { recursive: true });
  const json = JSON.stringify(doc, null, 2) + "\n";
  await Deno.writeTextFile(`${outDir}/latest.json`, json);
  await Deno.writeTextFile(`${outDir}/${date.replace(/[:.]/g, "-")}.json`, json);
  console.log(formatTable(results));
  console.log(`\nwritten ${outDir}/latest.json`);
}
