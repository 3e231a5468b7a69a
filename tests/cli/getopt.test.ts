// getopt_long behaviour as glibc implements it, over a small table with every argument kind.
import { describe, expect, test } from "bun:test";
import { getoptLong, type GetoptSpec } from "../../src/cli/getopt.ts";

const SPECS: GetoptSpec[] = [
  { long: "ipv6", short: "6", arg: "none" },
  { long: "http-ports", short: "H", arg: "required" },
  { long: "port", short: "p", arg: "required" },
  { long: "verbosity", short: "v", arg: "optional" },
  { long: "disable-tcp", arg: "none" },
  { long: "domain", short: "D", arg: "required" },
  { long: "daemonize", short: "d", arg: "optional" },
  { long: "tcp-cpu-threads", arg: "required" },
  { long: "tcp-iothreads", arg: "required" },
];

/** The events as compact strings: `-x=value`, `--long`, or `!message`. */
function run(argv: string[], posixlyCorrect = false) {
  const r = getoptLong(argv, "prog", SPECS, { posixlyCorrect });
  const events = r.events.map((e) =>
    e.kind === "error" ? `!${e.message}` : `${e.spec.long}${e.value === null ? "" : `=${e.value}`}`,
  );
  return { events, positionals: r.positionals };
}

describe("short options", () => {
  test("bundled flags", () => {
    expect(run(["-6v"]).events).toEqual(["ipv6", "verbosity"]);
    expect(run(["-vvv"]).events).toEqual(["verbosity", "verbosity", "verbosity"]);
  });
  test("attached and separate arguments", () => {
    expect(run(["-p8888"]).events).toEqual(["port=8888"]);
    expect(run(["-p", "8888"]).events).toEqual(["port=8888"]);
    expect(run(["-6p8888"]).events).toEqual(["ipv6", "port=8888"]);
  });
  test("a required argument may look like an option", () => {
    expect(run(["-p", "-v"]).events).toEqual(["port=-v"]);
    expect(run(["-p", "--"])).toEqual({ events: ["port=--"], positionals: [] });
  });
  test("optional-argument options take no argument in short form: -v3 is -v then -3", () => {
    expect(run(["-v3"]).events).toEqual(["verbosity", "!prog: invalid option -- '3'"]);
    expect(run(["-d", "1"])).toEqual({ events: ["daemonize"], positionals: ["1"] });
  });
  test("errors", () => {
    expect(run(["-x"]).events).toEqual(["!prog: invalid option -- 'x'"]);
    expect(run(["-p"]).events).toEqual(["!prog: option requires an argument -- 'p'"]);
    expect(run(["-6p"]).events).toEqual(["ipv6", "!prog: option requires an argument -- 'p'"]);
    expect(run(["-:"]).events).toEqual(["!prog: invalid option -- ':'"]);
  });
  test("processing goes on after an invalid letter, as glibc does", () => {
    expect(run(["-6x6"]).events).toEqual(["ipv6", "!prog: invalid option -- 'x'", "ipv6"]);
  });
});

describe("long options", () => {
  test("--opt=value and --opt value", () => {
    expect(run(["--port=1"]).events).toEqual(["port=1"]);
    expect(run(["--port", "1"]).events).toEqual(["port=1"]);
    expect(run(["--port="]).events).toEqual(["port="]);
    expect(run(["--port", "--ipv6"]).events).toEqual(["port=--ipv6"]);
  });
  test("optional argument only with =", () => {
    expect(run(["--verbosity=3"]).events).toEqual(["verbosity=3"]);
    expect(run(["--verbosity", "3"])).toEqual({ events: ["verbosity"], positionals: ["3"] });
    expect(run(["--verbosity="]).events).toEqual(["verbosity="]);
  });
  test("a no-argument option refuses =value, naming the full option", () => {
    expect(run(["--ipv6=1"]).events).toEqual(["!prog: option '--ipv6' doesn't allow an argument"]);
    expect(run(["--ipv=1"]).events).toEqual(["!prog: option '--ipv6' doesn't allow an argument"]);
  });
  test("missing argument", () => {
    expect(run(["--port"]).events).toEqual(["!prog: option '--port' requires an argument"]);
    expect(run(["--po"]).events).toEqual(["!prog: option '--port' requires an argument"]);
  });
  test("unrecognized, with any =value kept in the message", () => {
    expect(run(["--bogus"]).events).toEqual(["!prog: unrecognized option '--bogus'"]);
    expect(run(["--bogus=1"]).events).toEqual(["!prog: unrecognized option '--bogus=1'"]);
    expect(run(["--ipv6x"]).events).toEqual(["!prog: unrecognized option '--ipv6x'"]);
  });
  test("unambiguous prefixes", () => {
    expect(run(["--ip"]).events).toEqual(["ipv6"]);
    expect(run(["--dis"]).events).toEqual(["disable-tcp"]);
    expect(run(["--ht=80"]).events).toEqual(["http-ports=80"]);
    expect(run(["--dom", "x"]).events).toEqual(["domain=x"]);
  });
  test("an exact name wins over longer names it prefixes", () => {
    const specs: GetoptSpec[] = [
      { long: "direct-dc", arg: "required" },
      { long: "direct", arg: "none" },
    ];
    const r = getoptLong(["--direct"], "prog", specs);
    expect(r.events).toMatchObject([{ kind: "option", spec: { long: "direct" }, value: null }]);
  });
  test("ambiguous prefixes list the candidates in table order", () => {
    expect(run(["--d"]).events).toEqual([
      "!prog: option '--d' is ambiguous; possibilities: '--disable-tcp' '--domain' '--daemonize'",
    ]);
    expect(run(["--tcp=4"]).events).toEqual([
      "!prog: option '--tcp=4' is ambiguous; possibilities: '--tcp-cpu-threads' '--tcp-iothreads'",
    ]);
  });
  test("the long name is reported in full", () => {
    const r = getoptLong(["--verb", "-v"], "prog", SPECS);
    expect(r.events.map((e) => (e.kind === "option" ? e.name : e.message))).toEqual(["--verbosity", "-v"]);
  });
});

describe("permutation and --", () => {
  test("options after the config file", () => {
    expect(run(["conf", "-6", "-p", "1", "--ipv6"])).toEqual({ events: ["ipv6", "port=1", "ipv6"], positionals: ["conf"] });
  });
  test("-- ends options; later arguments are positional", () => {
    expect(run(["-6", "--", "-p", "x"])).toEqual({ events: ["ipv6"], positionals: ["-p", "x"] });
  });
  test("a lone - is a positional", () => {
    expect(run(["-", "-6"])).toEqual({ events: ["ipv6"], positionals: ["-"] });
  });
  test("repeats are all reported in order", () => {
    expect(run(["-H", "1", "--http-ports=2", "-H3"]).events).toEqual(["http-ports=1", "http-ports=2", "http-ports=3"]);
  });
  test("POSIXLY_CORRECT stops at the first non-option", () => {
    expect(run(["conf", "-6"], true)).toEqual({ events: [], positionals: ["conf", "-6"] });
    expect(run(["-6", "conf", "-6"], true)).toEqual({ events: ["ipv6"], positionals: ["conf", "-6"] });
  });
  test("hostile input gives values, never throws", () => {
    const weird = ["--", "---", "--=", "-", "", "-\u00e9", "--\u0000", "=", "--=x"];
    for (let i = 0; i < weird.length; i++) {
      expect(() => getoptLong(weird.slice(i), "prog", SPECS)).not.toThrow();
    }
    expect(run(["--=x"]).events[0]).toStartWith("!prog: option '--=x' is ambiguous; possibilities: '--ipv6'");
    expect(run(["---"]).events).toEqual(["!prog: unrecognized option '---'"]);
  });
});
