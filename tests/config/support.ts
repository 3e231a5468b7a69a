// Shared helpers for config tests: parse text or fixtures with an injected, recording resolver.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig, type ParseOutcome } from "../../src/config/parse.ts";
import type { HostsTable } from "../../src/config/hosts-file.ts";
import type { SystemResolver } from "../../src/config/resolve-host.ts";
import type { ProxyConfig } from "../../src/config/types.ts";

export const FIXTURES = join(import.meta.dir, "fixtures");

export function fixture(name: string): Uint8Array {
  return readFileSync(join(FIXTURES, name));
}

/** A resolver over a fixed table `name/4` or `name/6` → address, recording every question. */
export function tableResolver(table: Record<string, string> = {}): SystemResolver & { asked: string[] } {
  const asked: string[] = [];
  const fn = async (name: string, family: 4 | 6) => {
    asked.push(`${name}/${family}`);
    return table[`${name}/${family}`] ?? null;
  };
  return Object.assign(fn, { asked });
}

export interface ParseWith {
  fileName?: string;
  hosts?: HostsTable | null;
  system?: SystemResolver;
}

export function parseText(text: string | Uint8Array, opts: ParseWith = {}): Promise<ParseOutcome> {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  return parseConfig(bytes, {
    fileName: opts.fileName ?? "t.conf",
    hosts: opts.hosts === undefined ? new Map() : opts.hosts,
    system: opts.system ?? tableResolver(),
    loadedAt: 1700000000,
  });
}

export async function parseOk(text: string | Uint8Array, opts: ParseWith = {}): Promise<ProxyConfig> {
  const r = await parseText(text, opts);
  if (!r.ok) throw new Error(`expected success, got: ${r.error}`);
  return r.config;
}

export async function parseErr(text: string | Uint8Array, opts: ParseWith = {}): Promise<string> {
  const r = await parseText(text, opts);
  if (r.ok) throw new Error("expected a config error");
  return r.error;
}
