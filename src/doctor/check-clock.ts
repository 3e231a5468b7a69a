// Doctor: our clock against the HTTP Date header of a reachable host. The middle-end refuses an RPC
// nonce more than 30 s off (backend-rpc.md, nonce check), so skew is a silent total outage.
import { downloadLimited } from "../config/fetch-config.ts";
import type { CheckResult, DoctorDeps } from "./types.ts";

export const CLOCK_WARN_SEC = 10;
export const CLOCK_FAIL_SEC = 30;
const HINT = "sync the clock (chrony, ntpd or `timedatectl set-ntp true`): Telegram's middle-ends refuse handshakes more than 30 s off";

export async function checkClock(deps: DoctorDeps, timeUrl: string, timeoutMs: number): Promise<CheckResult> {
  const check = "clock";
  const host = hostOf(timeUrl);
  let date: string | null = null;
  const before = deps.nowMs();
  const fetchDate: typeof deps.fetch = async (url, init) => {
    const res = await deps.fetch(url, init);
    date = res.headers.get("date");
    return res;
  };
  // Any answer carries a Date header, an error status included; only the header matters.
  const dl = await downloadLimited(timeUrl, { fetch: fetchDate, timeoutMs, maxBytes: 1 << 20 });
  const after = deps.nowMs();
  if (date === null) {
    const why = dl.ok ? "no Date header in the answer" : dl.reason;
    return { status: "WARN", check, detail: `cannot compare with ${host}: ${why}`, hint: "check outbound HTTPS, or point --time-url at a reachable web server" };
  }
  const serverMs = Date.parse(date);
  if (Number.isNaN(serverMs)) {
    return { status: "WARN", check, detail: `cannot compare with ${host}: bad Date header '${date}'`, hint: "point --time-url at another web server" };
  }
  // Date has whole seconds: the server's clock was somewhere in [date, date + 1 s).
  const skewSec = (serverMs + 500 - (before + after) / 2) / 1000;
  const abs = Math.abs(skewSec);
  const detail = `${abs.toFixed(1)} s ${skewSec > 0 ? "behind" : "ahead of"} ${host}`;
  if (abs > CLOCK_FAIL_SEC) return { status: "FAIL", check, detail: `${detail} (more than ${CLOCK_FAIL_SEC} s)`, hint: HINT };
  if (abs > CLOCK_WARN_SEC) return { status: "WARN", check, detail: `${detail} (more than ${CLOCK_WARN_SEC} s)`, hint: HINT };
  return { status: "PASS", check, detail };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch (e) {
    if (e instanceof TypeError) return url;
    throw e;
  }
}
