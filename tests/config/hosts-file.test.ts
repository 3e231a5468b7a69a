import { describe, expect, test } from "bun:test";
import { parseHostsFile } from "../../src/config/hosts-file.ts";
import { formatIpv6, inetAton, parseIpv6 } from "../../src/config/ip-address.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("own /etc/hosts parser (resolver.c parse_hosts)", () => {
  test("typical file: names and aliases, IPv6 lines ignored", () => {
    const t = parseHostsFile(enc("127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n10.0.0.5 backend backend.lan\n"))!;
    expect(t.get("localhost")).toBe("127.0.0.1");
    expect(t.get("backend")).toBe("10.0.0.5");
    expect(t.get("backend.lan")).toBe("10.0.0.5");
    expect(t.has("ip6-localhost")).toBe(false);
  });

  test("first address wins; names are case-sensitive; 0.0.0.0 and malformed lines skipped", () => {
    const t = parseHostsFile(enc("10.0.0.1 a\n10.0.0.2 a A\n0.0.0.0 z\n10.0.0.300 y\n10.0.0 x\n 10.0.0.9 w\n"))!;
    expect(t.get("a")).toBe("10.0.0.1");
    expect(t.get("A")).toBe("10.0.0.2");
    expect(t.has("z")).toBe(false);
    expect(t.has("y")).toBe(false);
    expect(t.get("w")).toBe("10.0.0.9");
  });

  test("C quirks: `#` after the address is a name; CR stays in the name; an address needs a blank after it", () => {
    const t = parseHostsFile(enc("10.0.0.1 a # comment\r\n10.0.0.2\n# 10.0.0.3 c\n10.0.0.4b d\n"))!;
    expect(t.get("#")).toBe("10.0.0.1");
    expect(t.get("comment\r")).toBe("10.0.0.1");
    expect(t.has("c")).toBe(false);
    expect(t.has("d")).toBe(false);
  });

  test("a NUL ends the text; 16 MiB or more is not loaded", () => {
    const t = parseHostsFile(new Uint8Array([...enc("10.0.0.1 a\n"), 0, ...enc("10.0.0.2 b\n")]))!;
    expect([...t.keys()]).toEqual(["a"]);
    expect(parseHostsFile(new Uint8Array(1 << 24))).toBeNull();
  });
});

describe("IP literals as glibc reads them", () => {
  test("inet_aton forms", () => {
    expect(inetAton("1.2.3.4")).toBe(0x01020304);
    expect(inetAton("127.1")).toBe(0x7f000001);
    expect(inetAton("10.1.2")).toBe(0x0a010002);
    expect(inetAton("16909060")).toBe(0x01020304);
    expect(inetAton("010.0.0.1")).toBe(0x08000001);
    expect(inetAton("09.0.0.1")).toBeNull();
    expect(inetAton("1.2.3.256")).toBeNull();
    expect(inetAton("1.2.3.4.5")).toBeNull();
    expect(inetAton("1..3")).toBeNull();
  });

  test("IPv6 parse and inet_ntop formatting", () => {
    const fmt = (s: string) => {
      const b = parseIpv6(s);
      return b === null ? null : formatIpv6(b);
    };
    expect(fmt("2001:0db8:0000:0000:0000:0000:0000:0001")).toBe("2001:db8::1");
    expect(fmt("::")).toBe("::");
    expect(fmt("::1")).toBe("::1");
    expect(fmt("1::")).toBe("1::");
    expect(fmt("1:0:0:2:0:0:0:3")).toBe("1:0:0:2::3");
    expect(fmt("1:0:2:3:4:5:6:7")).toBe("1:0:2:3:4:5:6:7");
    expect(fmt("::ffff:1.2.3.4")).toBe("::ffff:1.2.3.4");
    expect(fmt("::1.2.3.4")).toBe("::1.2.3.4");
    expect(fmt("1:2:3:4:5:6:7::")).toBe("1:2:3:4:5:6:7:0");
    expect(fmt("1:2:3:4:5:6:7:8::")).toBeNull();
    expect(fmt("1::2::3")).toBeNull();
    expect(fmt("12345::")).toBeNull();
    expect(fmt("::ffff:1.2.3.04")).toBeNull();
    expect(fmt("1:2:3:4:5:6:7")).toBeNull();
  });
});
