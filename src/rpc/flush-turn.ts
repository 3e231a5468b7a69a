// One flush per event-loop turn for every middle-end link with queued frames (C flushes its ME
// connections once per epoll round): each link frames its batch into its own scratch, then all the
// batches are encrypted in one multi-lane CBC pass (crypto/aes-cbc-lanes.ts), then each is written.
// With min_connections links per middle end (4 by default) busy at once, that pass runs their
// serial CBC chains side by side instead of one after another.
import { cbcEncryptInPlaceMany, type CbcStream } from "../crypto/aes.ts";

/** A link's side of the turn (MiddleConnection). */
export interface TurnFlushable {
  /** Frames what is queued: null when nothing is (or it was sent unencrypted already). */
  takeBatch(): Uint8Array | null;
  /** The CBC stream the batch takeBatch() just returned is encrypted with. */
  readonly batchCipher: CbcStream;
  /** The batch, now encrypted in place, goes to the socket. */
  sendBatch(frames: Uint8Array): void;
}

export class FlushTurn {
  #due: TurnFlushable[] = [];
  /** The other list: links scheduled while a flush runs go there (the arrays live as long as the turn). */
  #spare: TurnFlushable[] = [];
  #scheduled = false;
  #flushing = false;
  readonly #links: TurnFlushable[] = [];
  readonly #ciphers: CbcStream[] = [];
  readonly #batches: Uint8Array[] = [];
  readonly #run = (): void => this.flushNow();

  /** `link` has frames queued: flushed at the end of this turn, with the others. */
  schedule(link: TurnFlushable): void {
    this.#due.push(link);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#run);
  }

  /** Flushes every scheduled link now (the setImmediate task; tests). No garbage per turn. */
  flushNow(): void {
    this.#scheduled = false;
    const due = this.#due;
    if (due.length === 0 || this.#flushing) return;
    this.#due = this.#spare;
    this.#flushing = true;
    const links = this.#links;
    const ciphers = this.#ciphers;
    const batches = this.#batches;
    try {
      for (let i = 0; i < due.length; i++) {
        const link = due[i]!;
        const frames = link.takeBatch();
        if (frames === null) continue;
        links.push(link);
        ciphers.push(link.batchCipher);
        batches.push(frames);
      }
      if (links.length === 0) return;
      cbcEncryptInPlaceMany(ciphers, batches);
      for (let i = 0; i < links.length; i++) links[i]!.sendBatch(batches[i]!);
    } finally {
      due.length = 0;
      this.#spare = due;
      links.length = ciphers.length = batches.length = 0;
      this.#flushing = false;
    }
  }
}
