// C printf number formats for the /stats body (stats.md §3): %d/%lld and %.Nf, whose exact binary
// ties round half-to-even in glibc where Number#toFixed rounds them up.

/** %d / %lld: truncate towards zero, decimal. */
export function cInt(x: number): string {
  if (!Number.isFinite(x)) return "0";
  const t = Math.trunc(x);
  return Object.is(t, -0) ? "0" : String(t);
}

/** %.Nf as glibc prints it. */
export function cFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return x < 0 ? "-nan" : "nan";
  if (!Number.isFinite(x)) return x < 0 ? "-inf" : "inf";
  // An exact binary tie (x = (n + 0.5) / 10^digits, e.g. 0.0625 at 3 digits): glibc rounds to even.
  const ax = Math.abs(x);
  if (isExactTie(ax, digits)) {
    const scale = 10 ** digits;
    const floor = Math.floor(ax * scale);
    const n = floor % 2 === 0 ? floor : floor + 1;
    const s = (n / scale).toFixed(digits);
    return x < 0 ? `-${s}` : s;
  }
  const s = Math.abs(x).toFixed(digits);
  return x < 0 || Object.is(x, -0) ? `-${s}` : s;
}

/** True when x·10^d lies exactly halfway between two integers: x = odd·2^-(d+1) (5^d is odd). */
function isExactTie(x: number, digits: number): boolean {
  if (x === 0 || x >= 2 ** 52) return false;
  let y = x;
  let k = 0;
  while (!Number.isInteger(y) && k <= digits + 1) {
    y *= 2;
    k++;
  }
  return k === digits + 1 && Number.isInteger(y);
}
