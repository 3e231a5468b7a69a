// The parsed proxy-multi.conf (config-and-cli.md §A): an immutable value that the middle-end
// pool reads and SIGHUP reload swaps atomically.

export interface TargetAddress {
  /** Resolved address text: dotted IPv4 or IPv6 without brackets. */
  host: string;
  port: number;
  family: 4 | 6;
}

/** One distinct ip:port. Several proxy_for lines naming the same ip:port share one target. */
export interface ConfigTarget {
  readonly address: TargetAddress;
  /** "host:port" / "[v6]:port": the identity used to share targets across clusters and reloads. */
  readonly key: string;
  readonly minConnections: number;
  readonly maxConnections: number;
}

export interface ConfigCluster {
  /** Signed 16-bit DC index as written in `proxy_for <id>`; 0 for plain `proxy`. */
  readonly id: number;
  readonly targets: readonly ConfigTarget[];
}

export interface ProxyConfig {
  /** Clusters by id, in file order. */
  readonly clusters: ReadonlyMap<number, ConfigCluster>;
  /** `default <id>;` (0 when absent). The cluster may not exist. */
  readonly defaultClusterId: number;
  /** Every distinct target, in first-seen order. */
  readonly targets: readonly ConfigTarget[];
  /** `timeout <ms>;` value, stored and unused as in C (300 when absent: preinit_config's 0.3 s). */
  readonly timeoutMs: number;
  /** Metadata for /stats and reload reporting. */
  readonly meta: ConfigMeta;
}

export interface ConfigMeta {
  readonly fileName: string;
  readonly bytes: number;
  /** MD5 hex of the file contents. */
  readonly md5: string;
  /** Unix seconds. */
  readonly loadedAt: number;
}
