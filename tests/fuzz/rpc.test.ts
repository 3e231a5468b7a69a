// Fixed-seed fuzz slice of the middle-end link decoders (frames, wire packets, nonce, handshake).
import { describe } from "bun:test";
import { fuzzSlice } from "./slice.ts";
import { RPC_TARGETS } from "./targets-rpc.ts";

describe("fuzz: middle-end decoders", () => {
  for (const t of RPC_TARGETS) fuzzSlice(t, 5000);
});
