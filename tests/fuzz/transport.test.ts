// Fixed-seed fuzz slice of the client-facing decoders (handshake, framings, TLS records, stack).
import { describe } from "bun:test";
import { fuzzSlice } from "./slice.ts";
import { TRANSPORT_TARGETS } from "./targets-transport.ts";

describe("fuzz: client transport decoders", () => {
  for (const t of TRANSPORT_TARGETS) fuzzSlice(t, 5000);
});
