// A config-and-reload snapshot for stats tests, as process/config-reload.ts produces it.
import type { ConfigStatsSnapshot } from "../../src/stats/counters.ts";

export function configSnapshot(over: Partial<ConfigStatsSnapshot>): ConfigStatsSnapshot {
  return {
    fileName: "proxy-multi.conf",
    bytes: 0,
    md5: "",
    loadedAt: 0,
    authClusters: 0,
    reloadSuccesses: 0,
    reloadFailures: 0,
    lastReloadError: null,
    lastReloadErrorAt: 0,
    ...over,
  };
}
