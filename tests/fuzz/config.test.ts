// Fixed-seed fuzz slice of the operator inputs: proxy-multi.conf, /etc/hosts, secrets, argv.
import { describe } from "bun:test";
import { fuzzSlice } from "./slice.ts";
import { CLI_TARGETS } from "./targets-cli.ts";
import { CONFIG_TARGETS } from "./targets-config.ts";

describe("fuzz: config, secrets and command line", () => {
  for (const t of [...CONFIG_TARGETS, ...CLI_TARGETS]) fuzzSlice(t, 5000);
});
