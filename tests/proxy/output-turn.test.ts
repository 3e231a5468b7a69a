// proxy/output-turn.ts: each session's runs of one event leave in one write, in the order they were
// added, whatever the interleaving with other sessions; a graceful close takes its runs early.
import { expect, test } from "bun:test";
import { OutputTurn, type TurnOwner } from "../../src/proxy/output-turn.ts";

class Owner implements TurnOwner {
  turnEpoch = 0;
  turnFirst = 0;
  turnLast = 0;
  readonly writes: string[][] = [];
  onWrite: (() => void) | null = null;
  writeRuns(first: Uint8Array, more: Uint8Array[] | null): void {
    this.writes.push([first, ...(more ?? [])].map((r) => Buffer.from(r).toString()));
    this.onWrite?.();
  }
}

const run = (s: string): Uint8Array => Buffer.from(s);
const microtasks = (): Promise<void> => new Promise((r) => setImmediate(r));

test("one write per owner per event, runs in order, owners interleaved", async () => {
  const turn = new OutputTurn();
  const a = new Owner();
  const b = new Owner();
  turn.add(a, run("a1"));
  turn.add(b, run("b1"));
  turn.add(a, run("a2"));
  turn.add(b, run("b2"));
  turn.add(a, run("a3"));
  expect(a.writes).toEqual([]); // nothing before the event's microtasks
  await microtasks();
  expect(a.writes).toEqual([["a1", "a2", "a3"]]);
  expect(b.writes).toEqual([["b1", "b2"]]);
  turn.add(b, run("b3")); // the next event starts a new turn
  await microtasks();
  expect(b.writes).toEqual([["b1", "b2"], ["b3"]]);
  expect(a.writes).toHaveLength(1);
});

test("flushOwner writes one owner's runs at once; later runs of the same event follow in a second write", async () => {
  const turn = new OutputTurn();
  const a = new Owner();
  const b = new Owner();
  turn.add(a, run("a1"));
  turn.add(b, run("b1"));
  turn.flushOwner(a);
  expect(a.writes).toEqual([["a1"]]);
  turn.flushOwner(a); // nothing left: no empty write
  expect(a.writes).toHaveLength(1);
  turn.add(a, run("a2"));
  await microtasks();
  expect(a.writes).toEqual([["a1"], ["a2"]]);
  expect(b.writes).toEqual([["b1"]]);
});

test("runs added while the turn is being written (by a write callback) are written in the same flush", async () => {
  const turn = new OutputTurn();
  const a = new Owner();
  const b = new Owner();
  a.onWrite = () => {
    a.onWrite = null;
    turn.add(b, run("b2"));
    turn.add(a, run("a2"));
  };
  turn.add(a, run("a1"));
  turn.add(b, run("b1"));
  turn.flush();
  expect(a.writes).toEqual([["a1"], ["a2"]]);
  expect(b.writes).toEqual([["b1", "b2"]]);
  await microtasks(); // the microtask scheduled meanwhile finds nothing
  expect(a.writes).toHaveLength(2);
  expect(b.writes).toHaveLength(1);
});

test("an owner whose write throws does not hold back the others; the error still surfaces", () => {
  const turn = new OutputTurn();
  const a = new Owner();
  const b = new Owner();
  a.onWrite = () => {
    throw new Error("boom");
  };
  turn.add(a, run("a1"));
  turn.add(b, run("b1"));
  expect(() => turn.flush()).toThrow("boom");
  expect(b.writes).toEqual([["b1"]]);
  turn.add(b, run("b2")); // the turn is usable afterwards
  turn.flush();
  expect(b.writes).toEqual([["b1"], ["b2"]]);
});
