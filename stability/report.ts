// The stability table: one row per figure with its bound and verdict, printed at the end of a run.

export interface Row {
  readonly phase: string;
  readonly figure: string;
  readonly value: string;
  readonly bound: string;
  readonly ok: boolean;
}

export class Report {
  readonly rows: Row[] = [];

  add(phase: string, figure: string, value: string, bound: string, ok: boolean): void {
    this.rows.push({ phase, figure, value, bound, ok });
    console.log(`  [${ok ? "ok" : "FAIL"}] ${phase}: ${figure} = ${value}${bound ? ` (bound ${bound})` : ""}`);
  }

  /** An informational figure without a bound. */
  info(phase: string, figure: string, value: string): void {
    this.add(phase, figure, value, "", true);
  }

  /** Records a phase that threw as one failed row. */
  crashed(phase: string, error: unknown): void {
    this.add(phase, "phase completed", error instanceof Error ? error.message.split("\n")[0]! : String(error), "no error", false);
  }

  get failed(): number {
    return this.rows.filter((r) => !r.ok).length;
  }

  table(): string {
    const head = ["phase", "figure", "value", "bound", "result"];
    const body = this.rows.map((r) => [r.phase, r.figure, r.value, r.bound || "-", r.ok ? "ok" : "FAIL"]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
    return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
  }
}
