// Our struct process_id and the `Started as [...]` line (engine.c engine_init, pid.c init_server_PID,
// net-events.c get_my_ipv4): a 10.x --address, else the main interface IPv4 chosen as C does.
import type { NetworkInterfaceInfo } from "node:os";

export function ipv4ToInt(ip: string): number {
  const p = ip.split(".").map(Number);
  return (((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0);
}

export function intToIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** get_my_ipv4: a 10.x address first, else any non-127 one; ties go by C's unsigned `mask < best` test. */
export function chooseMainIpv4(ifaces: Record<string, NetworkInterfaceInfo[] | undefined>): number {
  let ip = 0;
  let mask = 0xffffffff;
  for (const [name, list] of Object.entries(ifaces)) {
    if (name.startsWith("lo")) continue;
    for (const a of list ?? []) {
      if (a.family !== "IPv4") continue;
      const cand = ipv4ToInt(a.address);
      const m = ipv4ToInt(a.netmask);
      if (cand >>> 24 === 10 && (m < mask || ip >>> 24 !== 10)) {
        ip = cand;
        mask = m;
      } else if (cand >>> 24 !== 127 && m < mask && ip >>> 24 !== 10) {
        ip = cand;
        mask = m;
      }
    }
  }
  return ip;
}

/** The PID.ip: a 10.x --address wins; any other --address logs C's complaint and is not used. */
export function processIp(address: string | null, ifaces: Record<string, NetworkInterfaceInfo[] | undefined>): { ip: number; warning: string | null } {
  if (address !== null) {
    const a = ipv4ToInt(address);
    if (a >>> 24 === 10) return { ip: a, warning: null };
    const ip = chooseMainIpv4(ifaces);
    return { ip: ip === 0x7f000001 ? 0 : ip, warning: `Bad binded IP address ${intToIpv4(a)}, search in ifconfig` };
  }
  const ip = chooseMainIpv4(ifaces);
  return { ip: ip === 0x7f000001 ? 0 : ip, warning: null };
}

export function startedAsLine(ip: number, port: number, pid: number, utime: number): string {
  // port is a C short: -1 when -p was not given
  return `Started as [${intToIpv4(ip)}:${port}:${pid & 0xffff}:${utime}]`;
}
