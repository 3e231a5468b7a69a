// rpc/flush-turn.ts: the links with frames queued in one turn are flushed together, once, and each
// link's batch leaves encrypted exactly as its own CBC chain would have encrypted it alone.
import { expect, test } from "bun:test";
import { createCipheriv } from "node:crypto";
import { createAesCbcEncryptor, type CbcStream } from "../../src/crypto/aes.ts";
import { seededRandom } from "../../src/crypto/random.ts";
import { FlushTurn, type TurnFlushable } from "../../src/rpc/flush-turn.ts";

class FakeLink implements TurnFlushable {
  readonly sent: Buffer[] = [];
  taken = 0;
  constructor(
    readonly cipher: CbcStream | null,
    public batch: Uint8Array | null,
  ) {}
  takeBatch() {
    this.taken++;
    const b = this.batch;
    this.batch = null;
    return b && this.cipher ? b : null;
  }
  get batchCipher(): CbcStream {
    return this.cipher!;
  }
  sendBatch(frames: Uint8Array): void {
    this.sent.push(Buffer.from(frames));
  }
}

test("every scheduled link is flushed once per turn; batches arrive encrypted as by a lone CBC chain", async () => {
  const rnd = seededRandom(5);
  const keys = [0, 1, 2, 3, 4].map(() => ({ key: rnd.bytes(32), iv: rnd.bytes(16) }));
  const plain = [4096, 16, 0, 160, 32768].map((n) => rnd.bytes(n));
  const links = keys.map((k, i) => new FakeLink(createAesCbcEncryptor(k.key, k.iv), plain[i]!.length > 0 ? Uint8Array.from(plain[i]!) : null));
  const turn = new FlushTurn();
  for (const l of links) turn.schedule(l);
  expect(links.every((l) => l.taken === 0)).toBe(true); // nothing before the turn ends
  await new Promise((r) => setImmediate(r));
  expect(links.map((l) => l.taken)).toEqual([1, 1, 1, 1, 1]);
  links.forEach((l, i) => {
    if (plain[i]!.length === 0) return expect(l.sent).toHaveLength(0);
    const c = createCipheriv("aes-256-cbc", keys[i]!.key, keys[i]!.iv);
    c.setAutoPadding(false);
    expect(l.sent).toHaveLength(1);
    expect(l.sent[0]!.equals(c.update(plain[i]!))).toBe(true);
  });
  // a later turn continues each chain
  links[0]!.batch = Uint8Array.from(plain[0]!);
  turn.schedule(links[0]!);
  await new Promise((r) => setImmediate(r));
  const c0 = createCipheriv("aes-256-cbc", keys[0]!.key, keys[0]!.iv);
  c0.setAutoPadding(false);
  c0.update(plain[0]!);
  expect(links[0]!.sent[1]!.equals(c0.update(plain[0]!))).toBe(true);
});
