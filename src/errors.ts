// Error classes shared by every layer (STYLE.md "Errors").
// CliError/ConfigError are user errors: main.ts prints the message and exits with `exitCode`,
// never a stack trace. MtpError is an operational failure with a stable code, logged once.

/** Bad command line: C prints the message, then the usage text, then exits 2 (config-and-cli.md §C.4). */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = 2,
    /** C prints the usage text after most option errors. */
    readonly showUsage: boolean = true,
  ) {
    super(message);
  }
}

/** Bad proxy-multi.conf / proxy-secret / secret file. `exitCode` follows C (§A.4, §B). */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
  }
}

/** Operational failure (connect refused, handshake rejected, timeout). */
export class MtpError extends Error {
  override readonly name = "MtpError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
