import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { scanConfig } from "../../src/config/parse.ts";
import { fixture, FIXTURES, parseErr, parseOk, parseText, tableResolver } from "./support.ts";

describe("statements", () => {
  test("Telegram's published config: clusters in file order, default, shared targets", async () => {
    const cfg = await parseOk(fixture("telegram.conf"));
    expect([...cfg.clusters.keys()]).toEqual([1, -1, 2, -2, 3, -3, 4, -4, 5, -5]);
    expect(cfg.defaultClusterId).toBe(2);
    // 12 statements, 8 distinct ip:port pairs.
    expect(cfg.targets.map((t) => t.key)).toEqual([
      "149.154.175.50:8888",
      "149.154.161.144:8888",
      "149.154.175.100:8888",
      "91.108.4.225:8888",
      "91.108.4.174:8888",
      "149.154.165.250:8888",
      "91.108.56.183:8888",
    ]);
    expect(cfg.clusters.get(4)!.targets.map((t) => t.key)).toEqual(["91.108.4.225:8888", "91.108.4.174:8888"]);
    // DC 1 and -1 name the same ip:port: one shared target object.
    expect(cfg.clusters.get(1)!.targets[0]).toBe(cfg.clusters.get(-1)!.targets[0]!);
    expect(cfg.targets[0]!.address).toEqual({ host: "149.154.175.50", port: 8888, family: 4 });
    expect(cfg.timeoutMs).toBe(300);
  });

  test("timeout, min/max connections apply to later targets; multi-line statement; tab after id", async () => {
    const cfg = await parseOk(fixture("statements.conf"));
    expect(cfg.timeoutMs).toBe(500);
    expect(cfg.defaultClusterId).toBe(-7);
    const [a, b] = cfg.targets;
    expect(a).toMatchObject({ key: "127.0.0.1:25001", minConnections: 10, maxConnections: 20 });
    expect(b).toMatchObject({ key: "127.0.0.2:25002", minConnections: 2, maxConnections: 3 });
    expect(cfg.clusters.get(0)!.targets).toEqual([a!]);
    expect(cfg.clusters.get(-7)!.targets).toEqual([b!]);
  });

  test("defaults: min 4, max 8, default cluster 0 (which need not exist)", async () => {
    const cfg = await parseOk("proxy_for 3 10.0.0.1:80;");
    expect(cfg.targets[0]).toMatchObject({ minConnections: 4, maxConnections: 8 });
    expect(cfg.defaultClusterId).toBe(0);
    expect(cfg.clusters.has(0)).toBe(false);
  });

  test("a shared target takes the min/max of its last statement (create_target overwrites)", async () => {
    const cfg = await parseOk("proxy_for 1 10.0.0.1:80;\nmin_connections 1;\nmax_connections 2;\nproxy_for 2 10.0.0.1:80;");
    expect(cfg.targets).toHaveLength(1);
    expect(cfg.targets[0]).toMatchObject({ minConnections: 1, maxConnections: 2 });
    expect(cfg.clusters.get(1)!.targets[0]).toBe(cfg.targets[0]!);
  });

  test("the same ip:port twice in one cluster stays two entries of one target", async () => {
    const cfg = await parseOk("proxy 10.0.0.1:80; proxy 10.0.0.1:80; proxy 10.0.0.1:81;");
    expect(cfg.targets).toHaveLength(2);
    expect(cfg.clusters.get(0)!.targets.map((t) => t.key)).toEqual(["10.0.0.1:80", "10.0.0.1:80", "10.0.0.1:81"]);
  });

  test("statements need no separating whitespace; `#` comments and CRLF between statements", async () => {
    const cfg = await parseOk("proxy 10.0.0.1:80;proxy 10.0.0.2:80;#x\r\n\tdefault 5 ;");
    expect(cfg.targets).toHaveLength(2);
    expect(cfg.defaultClusterId).toBe(5);
  });

  test("keyword prefix matching: `proxyfoo` is `proxy` + host `foo`", async () => {
    expect(await parseErr(fixture("bad-keyword-prefix.conf"))).toBe("fatal: cannot resolve 'foo'\n near foo");
    const cfg = await parseOk("proxy10.0.0.1:80;", {});
    expect(cfg.targets[0]!.key).toBe("10.0.0.1:80");
    expect(await parseErr("proxy_forever 10.0.0.1:80;")).toBe(
      "fatal: invalid target id (integer -32768..32767 expected) near ever 10.0.0.1:80;",
    );
    expect(await parseErr("timeouts 100;")).toBe("fatal: invalid timeout near s 100;");
    expect(await parseErr("defaultx;")).toBe("fatal: invalid target id (integer -32768..32767 expected) near x;");
    expect(await parseErr("min_connectionsmax 1; proxy 1.1.1.1:1;")).toBe("fatal: invalid min connections near max 1; proxy 1.1.1.1 ...");
  });

  test("a NUL byte ends the input; meta covers every byte read", async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode("proxy 10.0.0.1:80;"), 0, ...new TextEncoder().encode("garbage")]);
    const cfg = await parseOk(bytes);
    expect(cfg.targets).toHaveLength(1);
    expect(cfg.meta.bytes).toBe(26);
  });

  test("the result is frozen", async () => {
    const cfg = await parseOk(fixture("telegram.conf"));
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.targets)).toBe(true);
    expect(Object.isFrozen(cfg.targets[0])).toBe(true);
    expect(Object.isFrozen(cfg.clusters.get(1)!.targets)).toBe(true);
    expect(Object.isFrozen(cfg.meta)).toBe(true);
  });
});

describe("C error messages, line numbers and context", () => {
  // [run] examples of config-and-cli.md §A.4, as real files.
  const badFixtures: Record<string, string> = {
    "bad-missing-semicolon.conf": "t.conf:1: fatal: ; expected near ",
    "bad-port-range.conf": "fatal: port number 99999 out of range near ;",
    "bad-intermixed.conf": "t.conf:3: fatal: proxies for dc 1 intermixed near ;",
    "bad-keyword-prefix.conf": "fatal: cannot resolve 'foo'\n near foo",
    "bad-no-proxy.conf": "t.conf:2: fatal: expected to find a mtproto-proxy configuration with `proxy' directives near ",
    "bad-crlf.conf": "t.conf:1: fatal: space expected after target id near ",
  };
  for (const name of readdirSync(FIXTURES).filter((f) => f.startsWith("bad-"))) {
    test(`fixture ${name}`, async () => {
      expect(badFixtures[name]).toBeDefined();
      expect(await parseErr(fixture(name))).toBe(badFixtures[name]!);
    });
  }

  test("line number = newlines consumed: none on line 1, L-1 mid-line, L when found after the newline", async () => {
    expect(await parseErr("proxy_for 2 127.0.0.1:25001")).toBe("fatal: ; expected near ");
    expect(await parseErr("proxy 1.1.1.1:1;\n\nproxy 1.1.1.1:0;")).toBe("t.conf:2: fatal: port number expected near ;");
    expect(await parseErr("proxy 1.1.1.1:1\n\n;x")).toBe("t.conf:2: fatal: 'proxy <ip>:<port>;' expected near x");
    expect(await parseErr("proxy 1.1.1.1:1;x", { fileName: "/etc/mtp/my.conf" })).toBe(
      "fatal: 'proxy <ip>:<port>;' expected near x",
    );
    expect(await parseErr("\nproxy 1.1.1.1:1;x", { fileName: "/etc/mtp/my.conf" })).toBe(
      "/etc/mtp/my.conf:1: fatal: 'proxy <ip>:<port>;' expected near x",
    );
  });

  test("context: rest of the line, at most 20 bytes, ` ...` once 20 are shown, CR ends it", async () => {
    expect(await parseErr("x2345678901234567890")).toBe("fatal: 'proxy <ip>:<port>;' expected near x2345678901234567890 ...");
    expect(await parseErr("x234567890123456789")).toBe("fatal: 'proxy <ip>:<port>;' expected near x234567890123456789");
    expect(await parseErr("x23456789012345678901234")).toBe("fatal: 'proxy <ip>:<port>;' expected near x2345678901234567890 ...");
    expect(await parseErr("bad\r\nproxy 1.1.1.1:1;")).toBe("fatal: 'proxy <ip>:<port>;' expected near bad");
    expect(await parseErr(new Uint8Array([0x62, 0x61, 0x64, 0, 0x7a]))).toBe("fatal: 'proxy <ip>:<port>;' expected near bad");
  });

  test("the lexer consumes a keyword where `:` or `;` was expected", async () => {
    expect(await parseErr("proxy 1.1.1.1:80\nproxy_for 1 1.1.1.1:80;")).toBe("t.conf:1: fatal: ; expected near  1 1.1.1.1:80;");
    expect(await parseErr("proxy 1.1.1.1 proxy 2.2.2.2:1;")).toBe("fatal: : expected near  2.2.2.2:1;");
    expect(await parseErr("proxy 1.1.1.1:1;;")).toBe("fatal: 'proxy <ip>:<port>;' expected near ");
  });

  test("inside a statement a newline is an error; before `:` and `;` it is not", async () => {
    expect(await parseErr("proxy_for 1\n1.1.1.1:80;")).toBe("fatal: space expected after target id near ");
    expect(await parseErr("proxy\n1.1.1.1:80;")).toBe("fatal: hostname expected near ");
    expect(await parseErr("proxy 1.1.1.1:\n80;")).toBe("fatal: port number expected near ");
    expect(await parseErr("proxy 1.1.1.1:#\n80;")).toBe("fatal: port number expected near #");
    const cfg = await parseOk("proxy 1.1.1.1 # c\n : 80 # d\n ;");
    expect(cfg.targets[0]!.key).toBe("1.1.1.1:80");
  });

  test("target ids are signed 16-bit and need a space or TAB after them", async () => {
    const cfg = await parseOk("proxy_for -32768 1.1.1.1:1; proxy_for 32767 1.1.1.1:2; default -32768;");
    expect([...cfg.clusters.keys()]).toEqual([-32768, 32767]);
    expect(cfg.defaultClusterId).toBe(-32768);
    const invalid = "invalid target id (integer -32768..32767 expected)";
    expect(await parseErr("proxy_for 32768 1.1.1.1:1;")).toBe(`fatal: ${invalid} near  1.1.1.1:1;`);
    expect(await parseErr("proxy_for -32769 1.1.1.1:1;")).toBe(`fatal: ${invalid} near  1.1.1.1:1;`);
    expect(await parseErr("proxy_for - 1.1.1.1:1;")).toBe(`fatal: ${invalid} near - 1.1.1.1:1;`);
    expect(await parseErr("default ;")).toBe(`fatal: ${invalid} near ;`);
    expect(await parseErr("proxy_for 1:1.1.1.1:1;")).toBe("fatal: space expected after target id near :1.1.1.1:1;");
    // 2^64 + 1 wraps to 1 in C's long long.
    expect((await parseOk("proxy_for 18446744073709551617 1.1.1.1:1;")).clusters.has(1)).toBe(true);
  });

  test("ports: digits only, 1..65535, C's int wrap-around", async () => {
    expect(await parseErr("proxy 1.1.1.1:;")).toBe("fatal: port number expected near ;");
    expect(await parseErr("proxy 1.1.1.1:-5;")).toBe("fatal: port number expected near -5;");
    expect(await parseErr("proxy 1.1.1.1:0;")).toBe("fatal: port number expected near ;");
    expect(await parseErr("proxy 1.1.1.1:65536;")).toBe("fatal: port number 65536 out of range near ;");
    expect(await parseErr("proxy 1.1.1.1:2147483648;")).toBe("fatal: port number -2147483648 out of range near ;");
    expect(await parseErr("proxy 1.1.1.1 443;")).toBe("fatal: : expected near 443;");
    expect((await parseOk("proxy 1.1.1.1:\t65535 ;")).targets[0]!.address.port).toBe(65535);
    expect((await parseOk("proxy 1.1.1.1:4294967297;")).targets[0]!.address.port).toBe(1);
  });

  test("hostnames: 1..63 word characters", async () => {
    expect(await parseErr("proxy :443;")).toBe("fatal: hostname expected near :443;");
    const long = `${"a".repeat(60)}.com`;
    expect(await parseErr(`proxy ${long}:443;`)).toBe(`fatal: hostname expected near ${"a".repeat(20)} ...`);
    const sys = tableResolver({ [`${"a".repeat(59)}.com/4`]: "10.1.1.1" });
    expect((await parseOk(`proxy ${"a".repeat(59)}.com:443;`, { system: sys })).targets[0]!.address.host).toBe("10.1.1.1");
  });

  test("min/max connections are checked in order against the current other bound", async () => {
    expect(await parseErr("min_connections 9;")).toBe("fatal: invalid min connections near ;");
    expect(await parseErr("min_connections 0;")).toBe("fatal: invalid min connections near ;");
    expect(await parseErr("max_connections 3;")).toBe("fatal: invalid max connections near ;");
    expect(await parseErr("max_connections 1001;")).toBe("fatal: invalid max connections near ;");
    const cfg = await parseOk("max_connections 1000; min_connections 1000; proxy 1.1.1.1:1;");
    expect(cfg.targets[0]).toMatchObject({ minConnections: 1000, maxConnections: 1000 });
    expect(await parseErr("max_connections 1000; min_connections 1000; max_connections 999;")).toBe(
      "fatal: invalid max connections near ;",
    );
  });

  test("timeout: 10..30000 ms; a missing number reads as 0", async () => {
    expect((await parseOk("timeout 10; proxy 1.1.1.1:1;")).timeoutMs).toBe(10);
    expect((await parseOk("timeout 30000; proxy 1.1.1.1:1;")).timeoutMs).toBe(30000);
    expect(await parseErr("timeout 9;")).toBe("fatal: invalid timeout near ;");
    expect(await parseErr("timeout 30001;")).toBe("fatal: invalid timeout near ;");
    expect(await parseErr("timeout;")).toBe("fatal: invalid timeout near ;");
  });

  test("clusters must be contiguous: `proxies for dc <id> intermixed`", async () => {
    expect(await parseErr("proxy 1.1.1.1:1; proxy_for 1 1.1.1.1:2; proxy 1.1.1.1:3;")).toBe(
      "fatal: proxies for dc 0 intermixed near ;",
    );
  });

  test("limits: 1024 clusters, 4096 proxy statements (shared targets count too)", async () => {
    const clusters = Array.from({ length: 1024 }, (_, i) => `proxy_for ${i} 10.0.${i >> 8}.${i & 255}:80;`).join("\n");
    expect((await parseOk(clusters)).clusters.size).toBe(1024);
    // The check runs before every proxy statement, even one that extends the last cluster.
    expect(await parseErr(`${clusters}\nproxy_for 1023 10.9.9.9:80;`)).toBe(
      "t.conf:1024: fatal: too many auth clusters near 10.9.9.9:80;",
    );
    const many = "proxy 10.0.0.1:80;\n".repeat(4096);
    const cfg = await parseOk(many);
    expect(cfg.targets).toHaveLength(1);
    expect(cfg.clusters.get(0)!.targets).toHaveLength(4096);
    expect(await parseErr(`${many}proxy 10.0.0.1:80;`)).toBe("t.conf:4096: fatal: too many targets (4096) near  10.0.0.1:80;");
  });

  test("scanConfig alone is synchronous and records host words with their positions", () => {
    const scan = scanConfig(new TextEncoder().encode("proxy a.b:1;\n proxy  c.d:2;"), "x.conf");
    expect(scan.ok).toBe(true);
    expect(scan.hosts.map((h) => [h.text, h.pos, h.lineNo])).toEqual([
      ["a.b", 6, 0],
      ["c.d", 21, 1],
    ]);
    expect(scan.hosts[1]!.resolveError).toBe("x.conf:1: fatal: cannot resolve 'c.d'\n near c.d");
  });
});

describe("host resolution", () => {
  test("IPv6 `[addr]`: canonical text, shared when equal as 16 bytes", async () => {
    const cfg = await parseOk(fixture("ipv6.conf"));
    expect(cfg.targets.map((t) => t.key)).toEqual(["[2001:b28:f23d:f001::d]:8888", "[2001:67c:4e8:f002::d]:80"]);
    expect(cfg.targets[1]!.address).toEqual({ host: "2001:67c:4e8:f002::d", port: 80, family: 6 });
    expect(cfg.clusters.get(2)!.targets[0]).toBe(cfg.clusters.get(4)!.targets[0]!);
    expect((await parseOk("proxy [::1]:25001;")).targets[0]!.key).toBe("[::1]:25001");
    expect((await parseOk("proxy [::ffff:10.0.0.1]:1;")).targets[0]!.address.host).toBe("::ffff:10.0.0.1");
  });

  test("bad or unterminated brackets fail to resolve", async () => {
    expect(await parseErr("proxy [::1:80;")).toBe("fatal: cannot resolve '[::1:80'\n near [::1:80");
    expect(await parseErr("proxy [1::2::3]:80;")).toBe("fatal: cannot resolve '[1::2::3]'\n near [1::2::3]");
    expect(await parseErr("proxy []:80;")).toBe("fatal: cannot resolve '[]'\n near []");
  });

  test("IPv4 literals follow inet_aton (short and octal forms) with no resolver", async () => {
    const system = tableResolver();
    const cfg = await parseOk("proxy 127.1:1; proxy 010.0.0.1:1;", { system });
    expect(cfg.targets.map((t) => t.address.host)).toEqual(["127.0.0.1", "8.0.0.1"]);
    expect(await parseErr("proxy 256.1.1.1:1;", { system })).toBe("fatal: cannot resolve '256.1.1.1'\n near 256.1.1.1");
    expect(system.asked).toEqual([]);
  });

  test("own /etc/hosts table first; names with a dot then the system resolver, IPv4 before IPv6", async () => {
    const hosts = new Map([
      ["backend", "10.0.0.7"],
      ["api.example", "10.0.0.8"],
    ]);
    const system = tableResolver({ "v4.example/4": "192.0.2.1", "v6.example/6": "2001:db8:0:0::1", "v6.example/4": "" });
    const cfg = await parseOk("proxy backend:1; proxy api.example:2; proxy v4.example:3; proxy v6.example:4;", { hosts, system });
    expect(cfg.targets.map((t) => t.key)).toEqual(["10.0.0.7:1", "10.0.0.8:2", "192.0.2.1:3", "[2001:db8::1]:4"]);
    expect(system.asked.sort()).toEqual(["v4.example/4", "v6.example/4", "v6.example/6"]);
  });

  test("a bare name not in /etc/hosts fails without asking DNS; without /etc/hosts it goes to DNS", async () => {
    const system = tableResolver({ "backend/4": "10.1.1.1" });
    expect(await parseErr("proxy backend:1;", { hosts: new Map(), system })).toBe("fatal: cannot resolve 'backend'\n near backend");
    expect(system.asked).toEqual([]);
    expect((await parseOk("proxy backend:1;", { hosts: null, system })).targets[0]!.key).toBe("10.1.1.1:1");
  });

  test("the first failure in file order wins, even over a later syntax error", async () => {
    const text = "proxy 1.1.1.1:1;\nproxy ok.example:2;\n  proxy   gone.example:3;\nproxy 1.1.1.1:0;";
    const system = tableResolver({ "ok.example/4": "10.2.2.2" });
    expect(await parseErr(text, { system })).toBe("t.conf:2: fatal: cannot resolve 'gone.example'\n near gone.example");
    const fixed = tableResolver({ "ok.example/4": "10.2.2.2", "gone.example/4": "10.3.3.3" });
    expect(await parseErr(text, { system: fixed })).toBe("t.conf:3: fatal: port number expected near ;");
  });

  test("a host after the first syntax error is never looked up", async () => {
    const system = tableResolver();
    const r = await parseText("proxy 1.1.1.1:0;\nproxy later.example:1;", { system });
    expect(r.ok).toBe(false);
    expect(system.asked).toEqual([]);
  });
});
