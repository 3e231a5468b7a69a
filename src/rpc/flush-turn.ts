// One flush per event-loop turn for every middle-end link with queued frames (C flushes its ME
// connections once per epoll round): each link frames its batch into its own scratch, then all the
// batches are encrypted in one multi-lane CBC pass (crypto/aes-cbc-lanes.ts), then each is written.
// With min_connections links per middle end (4 by default) busy at once, that pass runs their
// serial CBC chains side by side instead of one after another.
import { cbcEncryptInPlaceMany, type CbcStream } from "../crypto/aes.ts";

/** A link's side of the turn (MiddleConnection). */
export interface TurnFlushable {
  /** Frames what is queued: null when nothing is (or it was sent unencrypted already). */
  takeBatch(): { cipher: CbcStream; frames: Uint8Array } | null;
  /** The batch, now encrypted in place, goes to the socket. */
  sendBatch(frames: Uint8Array): void;
}

export class FlushTurn {
  #due: TurnFlushable[] = [];
  #scheduled = false;
  readonly #run = (): void => this.flushNow();

  /** `link` has frames queued: flushed at the end of this turn, with the others. */
  schedule(link: TurnFlushable): void {
    this.#due.push(link);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#run);
  }

  /** Flushes every scheduled link now (the setImmediate task; tests). */
  flushNow(): void {
    this.#scheduled = false;
    const due = this.#due;
    if (due.length === 0) return;
    this.#due = [];
    const links: TurnFlushable[] = [];
    const ciphers: CbcStream[] = [];
    const batches: Uint8Array[] = [];
    for (const link of due) {
      const b = link.takeBatch();
      if (b === null) continue;
      links.push(link);
      ciphers.push(b.cipher);
      batches.push(b.frames);
    }
    if (links.length === 0) return;
    cbcEncryptInPlaceMany(ciphers, batches);
    for (let i = 0; i < links.length; i++) links[i]!.sendBatch(batches[i]!);
  }
}
