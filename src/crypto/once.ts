// The optional native paths are opened on first use (never for --help or subcommands) and then
// remembered, including "not available" (null).

/** `open` run once, on the first call; its result (null too) returned from then on. */
export function once<T>(open: () => T | null): () => T | null {
  let value: T | null | undefined;
  return () => {
    if (value === undefined) value = open();
    return value;
  };
}
