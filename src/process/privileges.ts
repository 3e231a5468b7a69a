// -u: drop root after binding (mirrors server-functions.c change_user_group, called from engine_init).
// As in C: only when uid or euid is 0; no -u means the `mtproxy` account; setgroups([pw_gid]),
// setgid(pw_gid), setuid(pw_uid). Users come from /etc/passwd (getpwnam without NSS modules).
import { readFileSync } from "node:fs";

export const DEFAULT_ENGINE_USER = "mtproxy";

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

/** Finds `name` in /etc/passwd text; null when absent or malformed. */
export function findPasswdEntry(passwd: string, name: string): PasswdEntry | null {
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f.length < 4 || f[0] !== name) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || f[2] === "" || f[3] === "") return null;
    return { name, uid, gid };
  }
  return null;
}

export interface IdentityOps {
  getuid(): number;
  geteuid(): number;
  readPasswd(): string;
  setgroups(groups: number[]): void;
  setgid(gid: number): void;
  setuid(uid: number): void;
  seteuid(uid: number): void;
  setegid(gid: number): void;
}

export const processIdentity: IdentityOps = {
  getuid: () => process.getuid?.() ?? -1,
  geteuid: () => process.geteuid?.() ?? -1,
  readPasswd: () => {
    try {
      return readFileSync("/etc/passwd", "utf8");
    } catch (error) {
      if (error instanceof Error) return "";
      throw error;
    }
  },
  setgroups: (g) => process.setgroups?.(g),
  setgid: (gid) => process.setgid?.(gid),
  setuid: (uid) => process.setuid?.(uid),
  seteuid: (uid) => process.seteuid?.(uid),
  setegid: (gid) => process.setegid?.(gid),
};

/**
 * Returns the log lines of a failure (then `fatal: cannot change user to <u|(none)>`, exit 1),
 * or an empty list when nothing had to change or the switch succeeded.
 */
export function changeUserGroup(user: string | null, ops: IdentityOps = processIdentity): { ok: true; switchedTo: PasswdEntry | null } | { ok: false; lines: string[] } {
  if (ops.getuid() !== 0 && ops.geteuid() !== 0) return { ok: true, switchedTo: null };
  const name = user === null || user === "" ? DEFAULT_ENGINE_USER : user;
  const fatal = `fatal: cannot change user to ${user ?? "(none)"}`;
  const pw = findPasswdEntry(ops.readPasswd(), name);
  if (!pw) return { ok: false, lines: [`change_user_group: can't find the user ${name} to switch to`, fatal] };
  try {
    ops.setgroups([pw.gid]);
  } catch (error) {
    return { ok: false, lines: [`change_user_group: failed to clear supplementary groups list: ${message(error)}`, fatal] };
  }
  try {
    ops.setgid(pw.gid);
  } catch (error) {
    return { ok: false, lines: [`change_user_group: setgid (${pw.gid}) failed. ${message(error)}`, fatal] };
  }
  try {
    ops.setuid(pw.uid);
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    return { ok: false, lines: [`change_user_group: failed to assume identity of user ${name}`, fatal] };
  }
  return { ok: true, switchedTo: pw };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The supervisor's variant (beyond C, whose forked workers inherit the bound sockets): it must stay
 * able to spawn a replacement worker that binds -H as root (ports < 1024, and SO_REUSEPORT groups
 * need the same owner uid), so it only drops its *effective* ids and raises them around a spawn.
 */
export interface ParkedIdentity {
  /** Runs `fn` with euid/egid 0 (the worker it spawns starts as root, binds, then drops for good). */
  elevated<T>(fn: () => T): T;
}

export function parkPrivileges(user: string | null, ops: IdentityOps = processIdentity): { ok: true; parked: ParkedIdentity } | { ok: false; lines: string[] } {
  const none: ParkedIdentity = { elevated: (fn) => fn() };
  if (ops.getuid() !== 0 && ops.geteuid() !== 0) return { ok: true, parked: none };
  const name = user === null || user === "" ? DEFAULT_ENGINE_USER : user;
  const fatal = `fatal: cannot change user to ${user ?? "(none)"}`;
  const pw = findPasswdEntry(ops.readPasswd(), name);
  if (!pw) return { ok: false, lines: [`change_user_group: can't find the user ${name} to switch to`, fatal] };
  const park = () => {
    ops.setgroups([pw.gid]);
    ops.setegid(pw.gid);
    ops.seteuid(pw.uid);
  };
  try {
    park();
  } catch (error) {
    return { ok: false, lines: [`change_user_group: failed to assume identity of user ${name}: ${message(error)}`, fatal] };
  }
  return {
    ok: true,
    parked: {
      elevated(fn) {
        ops.seteuid(0);
        ops.setegid(0);
        try {
          return fn();
        } finally {
          park();
        }
      },
    },
  };
}
