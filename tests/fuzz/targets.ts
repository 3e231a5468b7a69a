// Every fuzz target, in the order the report table lists them. Weights spread a total input count:
// a target's share is proportional to its weight (cheap decoders get more inputs).
import type { FuzzTarget } from "./harness.ts";
import { CLI_TARGETS } from "./targets-cli.ts";
import { CONFIG_TARGETS } from "./targets-config.ts";
import { RPC_TARGETS } from "./targets-rpc.ts";
import { STATS_TARGETS } from "./targets-stats.ts";
import { TRANSPORT_TARGETS } from "./targets-transport.ts";

// Input and result types differ per target (makeInput is covariant, run contravariant in the
// input), so a mixed list needs `any`; each target is type-checked where it is defined.
export type AnyTarget = FuzzTarget<any, any>;

export const ALL_TARGETS: readonly AnyTarget[] = [...TRANSPORT_TARGETS, ...RPC_TARGETS, ...CONFIG_TARGETS, ...CLI_TARGETS, ...STATS_TARGETS];

/** Relative input shares: the byte decoders carry most of the million. */
export const WEIGHTS: Readonly<Record<string, number>> = {
  "handshake-obfs2": 3,
  "handshake-faketls": 3,
  "client-frames": 3,
  "client-stack": 3,
  "tls-records": 2,
  "rpc-frames": 3,
  "rpc-wire": 2,
  "config-scan": 2,
};
export const weightOf = (name: string): number => WEIGHTS[name] ?? 1;
