// A fake middle end as its own process, so a scenario can SIGKILL it mid-stream and restart it on
// the same port. Echoes requests, answers CMD_BIG with `size` bytes, and switches behaviour on
// stdin lines: "mode echo" | "mode silent" (handshakes, then never answers anything, pings included).
//   bun stability/me-process.ts <proxy-secret-hex> [port]      prints "port N" once listening
import { FakeMiddleEnd, type RecordedRequest } from "../tests/support/fake-middle-end.ts";
import { CMD_BIG, requestFields } from "./wire.ts";

const secret = Buffer.from(process.argv[2] ?? "", "hex");
const wantPort = Number(process.argv[3] ?? 0);
if (secret.length < 32) {
  console.error("usage: bun stability/me-process.ts <proxy-secret-hex> [port]");
  process.exit(2);
}

/**
 * Big answers leave at BIG_BYTES_PER_TICK every TICK_MS (~100 MiB/s), like an ME fed by its own
 * upstream; unpaced, the fake's 256 MiB write queue would overflow and corrupt its own stream.
 */
const TICK_MS = 10;
const BIG_BYTES_PER_TICK = 1 << 20;
let big = Buffer.alloc(0);
const bigQueue: { connId: bigint; size: number; conn: number }[] = [];
let pacer: ReturnType<typeof setInterval> | null = null;

const pace = (me: FakeMiddleEnd): void => {
  let budget = BIG_BYTES_PER_TICK;
  while (bigQueue.length > 0 && budget > 0) {
    const a = bigQueue.shift()!;
    const c = me.connections[a.conn];
    if (c && c.stage === "tunnel") me.sendProxyAns(a.connId, big.subarray(0, a.size), 0, c);
    budget -= a.size;
  }
  if (bigQueue.length === 0 && pacer) {
    clearInterval(pacer);
    pacer = null;
  }
};

const answer = (req: RecordedRequest, me: FakeMiddleEnd): void => {
  const f = requestFields(req.payload);
  if (f && f.cmd === CMD_BIG && f.size > 0 && f.size <= 16 << 20 && f.size % 4 === 0) {
    if (big.length < f.size) big = Buffer.alloc(f.size, 0x5a);
    bigQueue.push({ connId: req.connId, size: f.size, conn: req.conn });
    pacer ??= setInterval(() => pace(me), TICK_MS);
  } else me.sendProxyAns(req.connId, req.payload, 0, me.connections[req.conn]);
  // the record of every request would grow without bound under load
  me.requests.length = 0;
};

const me = FakeMiddleEnd.start({ secret, behaviour: answer, port: wantPort });
console.log(`port ${me.port}`);
// the fake keeps every tunnel packet it received: forget them regularly
setInterval(() => {
  for (const c of me.connections) c.received.length = 0;
  me.closeConns.length = 0;
  me.pongs.length = 0;
  me.pings.length = 0;
}, 1000);

const dec = new TextDecoder();
let tail = "";
for await (const chunk of Bun.stdin.stream()) {
  tail += dec.decode(chunk, { stream: true });
  const lines = tail.split("\n");
  tail = lines.pop() ?? "";
  for (const line of lines) {
    if (line === "mode silent") {
      me.behaviour = "silent";
      bigQueue.length = 0;
    }
    else if (line === "mode echo") me.behaviour = answer;
    console.log(`ok ${line}`);
  }
}
me.stop();
process.exit(0);
