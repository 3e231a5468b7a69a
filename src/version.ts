// The version string, shaped like C's FullVersionStr (mtproto-proxy.c): printed by --help, logged as
// `Invoking engine …` and reported as the `version` stat. The build may define MTPROXY_BUILD_COMMIT and
// MTPROXY_BUILD_TIME (`bun build --define`); from source, "compiled at" is when Bun transpiled it: now.
import pkg from "../package.json" with { type: "json" };

declare const MTPROXY_BUILD_COMMIT: string | undefined;
declare const MTPROXY_BUILD_TIME: string | undefined;

export const PACKAGE_VERSION: string = pkg.version;

/** C's VERSION_STR ("mtproxy-0.01") counterpart. */
export const VERSION_STR = `mtproxy-ts-${PACKAGE_VERSION}`;

/** C's `__DATE__ " " __TIME__`: `Mmm dd yyyy hh:mm:ss`, the day padded with a space. */
export function formatCompileTime(d: Date): string {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const p = (n: number) => String(n).padStart(2, "0");
  return `${months[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export interface BuildInfo {
  compiledAt: string;
  runtime: string;
  commit: string;
}

export function fullVersionString(info: BuildInfo): string {
  return `${VERSION_STR} compiled at ${info.compiledAt} by ${info.runtime} 64-bit after commit ${info.commit}`;
}

/** The build facts of this binary (typeof guards: the globals exist only when the build defined them). */
export const BUILD_INFO: BuildInfo = Object.freeze({
  compiledAt: typeof MTPROXY_BUILD_TIME === "string" && MTPROXY_BUILD_TIME !== "" ? MTPROXY_BUILD_TIME : formatCompileTime(new Date()),
  runtime: `bun ${Bun.version}`,
  commit: typeof MTPROXY_BUILD_COMMIT === "string" && MTPROXY_BUILD_COMMIT !== "" ? MTPROXY_BUILD_COMMIT : "unknown",
});

/** `mtproxy-ts-0.1.0 compiled at Jan  5 2025 12:00:00 by bun 1.4.5 64-bit after commit <hash>` */
export const FULL_VERSION_STR = fullVersionString(BUILD_INFO);
