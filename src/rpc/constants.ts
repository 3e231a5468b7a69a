// Wire constants of the proxy <-> middle-end RPC link, named and valued as in the C sources
// (net-tcp-rpc-common.h, rpc-const.h, mtproto-proxy.c, net-connections.c). backend-rpc.md §3–§10.

// ---- packet types (first 4 bytes of a body, u32 LE)
export const RPC_NONCE = 0x7acb87aa;
export const RPC_HANDSHAKE = 0x7682eef5;
export const RPC_HANDSHAKE_ERROR = 0x6a27beda;
export const RPC_PING = 0x5730a2df;
export const RPC_PONG = 0x8430eaa7;
export const RPC_PROXY_REQ = 0x36cef1ee;
export const RPC_PROXY_ANS = 0x4403da0d;
export const RPC_CLOSE_CONN = 0x1fcf425d;
export const RPC_CLOSE_EXT = 0x5eb634a2;
export const RPC_SIMPLE_ACK = 0x3bac409b;
export const TL_PROXY_TAG = 0xdb1e26ae;
export const TL_HTTP_QUERY_INFO = 0xd45ab381;

// ---- RPC_NONCE crypto schemas
export const RPC_CRYPTO_NONE = 0;
export const RPC_CRYPTO_AES = 1;
export const RPC_CRYPTO_AES_EXT = 2;
export const RPC_CRYPTO_AES_DH = 3;
export const RPC_MAX_EXTRA_KEYS = 8;
/** SHA1 of TL (g=3, p) truncated to a u32; the C code asserts this value (init_dh_params). */
export const DH_PARAMS_SELECT = 0x00620b93;

// ---- handshake flags
export const RPCF_USE_CRC32C = 0x800;

// ---- sequence numbers (§2.2)
export const SEQ_NONCE = -2;
export const SEQ_HANDSHAKE = -1;

// ---- RPC_PROXY_REQ flags (net-tcp-rpc-common.h RPC_F_*, forward_tcp_query)
export const RPC_F_NOT_ENCRYPTED = 0x2;
export const RPC_F_HAS_HTTP_INFO = 0x4;
export const RPC_F_HAS_AD_TAG = 0x8;
export const RPC_F_EXT_SERVER_MAGIC = 0x1000;
export const RPC_F_EXTMODE2 = 0x20000;
export const RPC_F_PAD = 0x8000000;
export const RPC_F_DROPPED = 0x10000000;
export const RPC_F_MEDIUM = 0x20000000;
export const RPC_F_COMPACT = 0x40000000;
export const RPC_F_QUICKACK = 0x80000000;

// ---- unencrypted MTProto functions the proxy agrees to forward (forward_mtproto_packet)
export const CODE_req_pq = 0x60469778;
export const CODE_req_pq_multi = 0xbe7e8ef1;
export const CODE_req_DH_params = 0xd712e4be;
export const CODE_set_client_DH_params = 0xf5045f1f;
/** sizeof(struct encrypted_message) up to `message`: the shortest encrypted packet C forwards. */
export const MIN_ENCRYPTED_PACKET = 56;
export const MIN_PACKET = 28;

// ---- timing (net-tcp-rpc-client.c, net-connections.c)
/** tcp_rpcc_default_check_ready: connect + handshake must finish within 3 s. */
export const CONNECT_TIMEOUT_MS = 3000;
/** |ME crypto_ts - our crypto_ts| above this fails the nonce (−6). */
export const NONCE_MAX_SKEW_SEC = 30;
/** compute_next_reconnect stops growing the back-off once it reaches this. */
export const MAX_RECONNECT_INTERVAL_SEC = 20;
/** The target job's period in C (~0.1 s). */
export const TARGET_TICK_MS = 100;
