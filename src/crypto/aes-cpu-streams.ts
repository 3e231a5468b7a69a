// The AES streams whose state lives in JS memory and whose work runs on our own CPU-instruction code
// (aes-cbc-lanes.ts, aes-ctr-vaes.ts, aes-cbc-decrypt-vaes.ts): no native context, so free() only
// makes the stream refuse further use. Each path is compiled and self-checked on first use, never for
// --help or subcommands; null where the CPU lacks it, it is switched off, or it disagrees.
import { cbcLaneState, openCbcLanes, type CbcLanes, type CbcLaneState } from "./aes-cbc-lanes.ts";
import { openVaesCbcDecrypt, type CbcDecryptState, type VaesCbcDecrypt } from "./aes-cbc-decrypt-vaes.ts";
import { openVaesCtr, type VaesCtr } from "./aes-ctr-vaes.ts";
import type { CbcStream, CtrStream } from "./aes.ts";
import { once } from "./once.ts";

export const cbcLanes = once(openCbcLanes);
export const vaesCtr = once(openVaesCtr);
export const vaesCbcDecrypt = once(openVaesCbcDecrypt);

const USED_AFTER_FREE = "AES stream used after free()";

/** CTR: round keys, counter and the current keystream block in one caller-owned array. */
export class VaesCtrStream implements CtrStream {
  readonly #vaes: VaesCtr;
  #state: Uint8Array | null;

  constructor(vaes: VaesCtr, key: Uint8Array, iv: Uint8Array) {
    this.#vaes = vaes;
    this.#state = vaes.state(key, iv);
  }

  update(data: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(data.length);
    out.set(data);
    this.updateInPlace(out);
    return out;
  }

  updateInPlace(data: Uint8Array): void {
    const st = this.#state;
    if (st === null) throw new Error(USED_AFTER_FREE);
    this.#vaes.xorInPlace(st, data);
  }

  free(): void {
    this.#state = null;
  }
}

/** CBC over whole blocks by `crypt`; update() holds a partial block back until it completes, as
 * OpenSSL's does with padding off. */
abstract class HeldBlockCbc implements CbcStream {
  readonly #held = new Uint8Array(16);
  #heldBytes = 0;
  #freed = false;

  /** Whole 16-byte blocks, in place, continuing the chain. */
  protected abstract crypt(blocks: Uint8Array): void;

  update(data: Uint8Array): Buffer {
    this.#check();
    const held = this.#heldBytes;
    const whole = (held + data.length) & ~15;
    const out = Buffer.allocUnsafe(whole);
    if (whole > 0) {
      out.set(this.#held.subarray(0, held));
      out.set(data.subarray(0, whole - held), held);
      this.crypt(out);
    }
    const rest = data.subarray(Math.max(0, whole - held));
    if (whole === 0) this.#held.set(rest, held);
    else this.#held.set(rest);
    this.#heldBytes = (held + data.length) & 15;
    return out;
  }

  updateInPlace(data: Uint8Array): void {
    this.#check();
    if (((data.length | this.#heldBytes) & 15) !== 0) throw new RangeError("in-place CBC needs whole blocks");
    if (data.length > 0) this.crypt(data);
  }

  get pendingBytes(): number {
    return this.#heldBytes;
  }

  free(): void {
    this.#freed = true;
  }

  #check(): void {
    if (this.#freed) throw new Error(USED_AFTER_FREE);
  }
}

/** CBC encryption whose chain (round keys + iv) batches of many streams hand to the multi-lane pass. */
export class LaneCbcEncryptor extends HeldBlockCbc {
  readonly lane: CbcLaneState;
  readonly #lanes: CbcLanes;

  constructor(lanes: CbcLanes, key: Uint8Array, iv: Uint8Array) {
    super();
    this.#lanes = lanes;
    this.lane = cbcLaneState(key, iv);
  }

  protected crypt(blocks: Uint8Array): void {
    this.#lanes.encrypt([this.lane], [blocks]);
  }
}

/** CBC decryption: decryption schedule + iv. */
export class VaesCbcDecryptor extends HeldBlockCbc {
  readonly #vaes: VaesCbcDecrypt;
  readonly #state: CbcDecryptState;

  constructor(vaes: VaesCbcDecrypt, key: Uint8Array, iv: Uint8Array) {
    super();
    this.#vaes = vaes;
    this.#state = vaes.state(key, iv);
  }

  protected crypt(blocks: Uint8Array): void {
    this.#vaes.decryptInPlace(this.#state, blocks);
  }
}
