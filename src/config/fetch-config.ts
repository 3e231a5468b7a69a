// One bounded HTTP download for the config refresh: a whole-request timeout and a byte cap enforced
// while streaming (the file loader's 16 MiB rule), so a slow or huge answer cannot pin memory.
// Failures are values with a one-line reason; nothing here logs or throws for network trouble.
// Every download opens its own connection (keepalive: false): refreshes are minutes or hours apart,
// and a pooled socket that the server or a NAT has reaped in between makes Bun's fetch fail with a
// reset or hang until the timeout instead of reconnecting (oven-sh/bun #31894, #42212).

export type FetchFn = (url: string, init: { signal: AbortSignal; redirect: "follow"; keepalive: false }) => Promise<Response>;

export interface DownloadOptions {
  fetch: FetchFn;
  timeoutMs: number;
  /** More than this many bytes is a failure. */
  maxBytes: number;
}

export type Download = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

export async function downloadLimited(url: string, o: DownloadOptions): Promise<Download> {
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, o.timeoutMs);
  try {
    const res = await o.fetch(url, { signal: abort.signal, redirect: "follow", keepalive: false });
    if (!res.ok) {
      await res.body?.cancel();
      return { ok: false, reason: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}` };
    }
    const declared = Number(res.headers.get("content-length") ?? NaN);
    if (declared > o.maxBytes) {
      await res.body?.cancel();
      return { ok: false, reason: `too large: ${declared} bytes (max ${o.maxBytes})` };
    }
    return await readCapped(res, o.maxBytes);
  } catch (e) {
    if (timedOut) return { ok: false, reason: `no complete answer in ${o.timeoutMs} ms` };
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

async function readCapped(res: Response, maxBytes: number): Promise<Download> {
  if (res.body === null) return { ok: true, bytes: new Uint8Array(0) };
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      return { ok: false, reason: `too large: more than ${maxBytes} bytes` };
    }
    chunks.push(value);
  }
  return { ok: true, bytes: Buffer.concat(chunks, total) };
}
