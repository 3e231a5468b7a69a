// Subcommand dispatch through citty, without spawning.
import { expect, test } from "bun:test";
import { defineCommand } from "citty";
import { isSubcommand, isVersionRequest, runSubcommand } from "../../src/cli/command.ts";
import { CliError } from "../../src/errors.ts";

const out: string[] = [];
const io = { stdout: (t: string) => void out.push(`out:${t}`), stderr: (t: string) => void out.push(`err:${t}`) };
const subs = {
  hello: () =>
    Promise.resolve(
      defineCommand({
        meta: { name: "hello", description: "says hello" },
        args: { name: { type: "positional", required: true } },
        run: ({ args }) => {
          io.stdout(`hello ${args.name}\n`);
          return args.name === "seven" ? 7 : undefined;
        },
      }),
    ),
  broken: defineCommand({
    run: () => {
      throw new CliError("bad input", 3);
    },
  }),
};

test("only argv[0] selects a subcommand; the rest is the C command line", () => {
  expect(isSubcommand(["hello", "x"], subs)).toBe(true);
  expect(isSubcommand(["proxy.conf", "hello"], subs)).toBe(false);
  expect(isSubcommand(["-v", "hello"], subs)).toBe(false);
  expect(isSubcommand([], subs)).toBe(false);
  expect(isSubcommand(["toString"], subs)).toBe(false);
});

test("--version only alone", () => {
  expect(isVersionRequest(["--version"])).toBe(true);
  expect(isVersionRequest(["--version", "x"])).toBe(false);
  expect(isVersionRequest(["-v"])).toBe(false);
});

test("runs the subcommand and returns its exit code", async () => {
  out.length = 0;
  expect(await runSubcommand(["hello", "world"], io, subs)).toBe(0);
  expect(await runSubcommand(["hello", "seven"], io, subs)).toBe(7);
  expect(out).toEqual(["out:hello world\n", "out:hello seven\n"]);
});

test("a CliError becomes its message and exit code; --help prints the subcommand's usage", async () => {
  out.length = 0;
  expect(await runSubcommand(["broken"], io, subs)).toBe(3);
  expect(out).toEqual(["err:bad input\n"]);
  out.length = 0;
  expect(await runSubcommand(["hello", "--help"], io, subs)).toBe(0);
  expect(out.join("")).toContain("says hello");
});

test("citty's own argument errors are usage errors: exit 2, plain text", async () => {
  out.length = 0;
  expect(await runSubcommand(["hello"], io, subs)).toBe(2);
  expect(out).toEqual(["err:Missing required positional argument: NAME\n"]);
});

test("the real subcommands are wired", async () => {
  const { SUBCOMMANDS } = await import("../../src/cli/command.ts");
  expect(Object.keys(SUBCOMMANDS).sort()).toEqual(["doctor", "generate-secret", "link"]);
});
