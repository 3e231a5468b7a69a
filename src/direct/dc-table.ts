// Where direct mode sends a client: Telegram's production DC addresses (public facts, as in mtg
// essentials/addresses.go and tdesktop mtproto_dc_options.cpp), --direct-dc overrides, and the
// resolution of the signed DC index from the client's obfuscated2 header. Pure: no sockets.

export interface DcAddress {
  readonly host: string;
  readonly port: number;
}

export interface DcEntry {
  readonly v4: readonly string[];
  readonly v6: readonly string[];
}

/** Telegram DCs accept obfuscated2 without a secret on 443. */
export const DC_PORT = 443;

/** Telegram's published `default 2`: where 0 and unknown indexes go (what mtg users expect). */
export const DEFAULT_DC = 2;

export const TELEGRAM_DCS: ReadonlyMap<number, DcEntry> = new Map<number, DcEntry>([
  [1, { v4: ["149.154.175.50"], v6: ["2001:b28:f23d:f001::a"] }],
  [2, { v4: ["149.154.167.51", "95.161.76.100"], v6: ["2001:67c:4e8:f002::a"] }],
  [3, { v4: ["149.154.175.100"], v6: ["2001:b28:f23d:f003::a"] }],
  [4, { v4: ["149.154.167.91"], v6: ["2001:67c:4e8:f004::a"] }],
  [5, { v4: ["149.154.171.5"], v6: ["2001:b28:f23f:f005::a"] }],
  // CDN / special DC that current apps reach through proxies too.
  [203, { v4: ["91.105.192.100"], v6: ["2a0a:f280:203:a:5000::100"] }],
]);

export interface DcResolveOptions {
  /** --direct-dc, keyed by the signed index as given. */
  readonly overrides: ReadonlyMap<number, DcAddress>;
  /** -6: try IPv6 addresses first, IPv4 after; otherwise IPv4 first, IPv6 after. */
  readonly preferIpv6: boolean;
  readonly table?: ReadonlyMap<number, DcEntry>;
}

export interface DcResolution {
  /** Addresses to try, in order. */
  readonly candidates: readonly DcAddress[];
  /** The index whose address was used (the client's, |client's|, or DEFAULT_DC). */
  readonly via: number;
  /** The client's index was unknown (0, test DCs, anything not in the table): sent to DEFAULT_DC. */
  readonly fallback: boolean;
  readonly override: boolean;
}

/**
 * The chain, first hit wins: an override for the exact signed index; for a negative (media) index
 * an override or table entry for |dc|; a table entry for dc; otherwise DEFAULT_DC (its override
 * first). Test DCs (±10000+n) are another network: unknown, unless overridden exactly.
 */
export function resolveDc(dc: number, opts: DcResolveOptions): DcResolution {
  const table = opts.table ?? TELEGRAM_DCS;
  const exact = opts.overrides.get(dc);
  if (exact) return { candidates: [exact], via: dc, fallback: false, override: true };
  const abs = Math.abs(dc);
  const known = (i: number): DcResolution | null => {
    const o = opts.overrides.get(i);
    if (o) return { candidates: [o], via: i, fallback: false, override: true };
    const entry = table.get(i);
    return entry ? { candidates: ordered(entry, opts.preferIpv6), via: i, fallback: false, override: false } : null;
  };
  const hit = dc !== 0 ? known(abs) : null;
  if (hit) return hit;
  const def = known(DEFAULT_DC);
  if (!def) throw new Error(`no address for the default DC ${DEFAULT_DC}`);
  return { ...def, fallback: true };
}

function ordered(entry: DcEntry, preferIpv6: boolean): DcAddress[] {
  const hosts = preferIpv6 ? [...entry.v6, ...entry.v4] : [...entry.v4, ...entry.v6];
  return hosts.map((host) => ({ host, port: DC_PORT }));
}
