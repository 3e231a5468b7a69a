// Glue for the stats listener: turns live sources (this process's counters, the workers' summed
// snapshots, process facts, the clock) into the /stats and /metrics bodies on each request.

import type { StatsSnapshot } from "./counters.ts";
import { buildMetricFamilies } from "./metrics.ts";
import { writeExposition } from "./prometheus.ts";
import { renderStatsText, type StatsProcessInfo } from "./stats-text.ts";

export interface StatsSources {
  /** This (serving) process's snapshot, e.g. `() => stats.snapshot()`. */
  own: () => StatsSnapshot;
  /** sumSnapshots of the latest worker snapshots in -M mode; null in single-process mode. */
  workerSum: () => StatsSnapshot | null;
  /** Process facts; read each time so memory/CPU figures are current. */
  info: () => StatsProcessInfo;
  nowSec: () => number;
  monotonicSec?: () => number;
}

export function statsRenderers(src: StatsSources): { renderStats: () => string; renderMetrics: () => string } {
  return {
    renderStats: () =>
      renderStatsText({
        own: src.own(),
        workerSum: src.workerSum(),
        info: src.info(),
        nowSec: src.nowSec(),
        ...(src.monotonicSec === undefined ? {} : { monotonicSec: src.monotonicSec }),
      }),
    renderMetrics: () =>
      writeExposition(buildMetricFamilies({ own: src.own(), workerSum: src.workerSum(), info: src.info(), nowSec: src.nowSec() })),
  };
}
