// Composition root: argv → options → config → start the supervisor or a worker.
// The only file that reads process.argv/env or calls process.exit (STYLE.md).
console.error("mtproto-proxy: not yet wired");
process.exit(1);
