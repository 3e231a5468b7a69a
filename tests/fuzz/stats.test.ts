// Fixed-seed fuzz slice of the stats port: the C HTTP head parser and one whole connection.
import { describe } from "bun:test";
import { fuzzSlice } from "./slice.ts";
import { STATS_TARGETS } from "./targets-stats.ts";

describe("fuzz: stats HTTP", () => {
  for (const t of STATS_TARGETS) fuzzSlice(t, 5000);
});
