import { describe, expect, test } from "bun:test";
import { clientNetwork, createClientIpResolver } from "@lodge/kit";

describe("createClientIpResolver", () => {
  const resolve = createClientIpResolver(["127.0.0.1", "::1", "10.0.0.0/8", "192.168.1.0/24"]);

  test("the direct peer is the client when it is not a trusted proxy", () => {
    expect(resolve("203.0.113.7", undefined)).toBe("203.0.113.7");
    // A client cannot claim another address by sending the header itself.
    expect(resolve("203.0.113.7", "198.51.100.1")).toBe("203.0.113.7");
    expect(resolve("203.0.113.7", "127.0.0.1")).toBe("203.0.113.7");
  });

  test("X-Forwarded-For is honoured from a trusted proxy", () => {
    expect(resolve("127.0.0.1", "198.51.100.1")).toBe("198.51.100.1");
    expect(resolve("::1", "198.51.100.1")).toBe("198.51.100.1");
    expect(resolve("127.0.0.1", undefined)).toBe("127.0.0.1");
    expect(resolve("127.0.0.1", "")).toBe("127.0.0.1");
  });

  test("the walk goes right to left, skipping trusted hops, and stops at the first untrusted one", () => {
    // The client made up the leftmost entry; the proxies appended the real ones.
    expect(resolve("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.1.2.3")).toBe("198.51.100.1");
    expect(resolve("127.0.0.1", "6.6.6.6,198.51.100.1,10.1.2.3,192.168.1.20")).toBe("198.51.100.1");
    expect(resolve("10.9.9.9", "  198.51.100.1  ,  10.0.0.1 ")).toBe("198.51.100.1");
  });

  test("when every hop is trusted, the leftmost is the client", () => {
    expect(resolve("127.0.0.1", "10.0.0.5, 10.0.0.6")).toBe("10.0.0.5");
  });

  test("empty entries are ignored", () => {
    expect(resolve("127.0.0.1", "198.51.100.1, , 10.0.0.1,")).toBe("198.51.100.1");
  });

  test("CIDR entries match their whole range and nothing else", () => {
    expect(resolve("10.255.255.255", "198.51.100.1")).toBe("198.51.100.1");
    expect(resolve("10.0.0.0", "198.51.100.1")).toBe("198.51.100.1");
    expect(resolve("11.0.0.1", "198.51.100.1")).toBe("11.0.0.1");
    expect(resolve("9.255.255.255", "198.51.100.1")).toBe("9.255.255.255");
    expect(resolve("192.168.1.200", "198.51.100.1")).toBe("198.51.100.1");
    expect(resolve("192.168.2.1", "198.51.100.1")).toBe("192.168.2.1");
  });

  test("/32 and /0", () => {
    const single = createClientIpResolver(["172.16.0.5/32"]);
    expect(single("172.16.0.5", "198.51.100.1")).toBe("198.51.100.1");
    expect(single("172.16.0.6", "198.51.100.1")).toBe("172.16.0.6");
    const everyone = createClientIpResolver(["0.0.0.0/0"]);
    expect(everyone("8.8.8.8", "198.51.100.1")).toBe("198.51.100.1");
  });

  test("IPv4-mapped IPv6 addresses are treated as IPv4", () => {
    expect(resolve("::ffff:127.0.0.1", "198.51.100.1")).toBe("198.51.100.1");
    expect(resolve("::ffff:10.1.2.3", "198.51.100.1")).toBe("198.51.100.1");
    expect(resolve("::FFFF:10.1.2.3", "198.51.100.1")).toBe("198.51.100.1");
    expect(resolve("::ffff:203.0.113.7", "198.51.100.1")).toBe("203.0.113.7");
    expect(resolve("127.0.0.1", "::ffff:198.51.100.1")).toBe("198.51.100.1");
    expect(resolve("127.0.0.1", "198.51.100.1, ::ffff:10.0.0.1")).toBe("198.51.100.1");
    const mappedEntry = createClientIpResolver(["::ffff:10.0.0.0/104"]);
    expect(mappedEntry("10.0.0.1", "198.51.100.1")).toBe("198.51.100.1");
  });

  test("IPv6 addresses and CIDR entries", () => {
    const v6 = createClientIpResolver(["fd00::/8", "2001:db8::10"]);
    expect(v6("fd12:3456::1", "2001:db8::99")).toBe("2001:db8::99");
    expect(v6("2001:DB8::10", "2001:db8::99")).toBe("2001:db8::99");
    expect(v6("2001:db8:0:0::10", "2001:db8::99")).toBe("2001:db8::99");
    expect(v6("fe80::1", "2001:db8::99")).toBe("fe80::1");
    expect(v6("2001:db8::11", "2001:db8::99")).toBe("2001:db8::11");
  });

  test("an IPv4 range never matches an IPv6 peer and the reverse", () => {
    const mixed = createClientIpResolver(["10.0.0.0/8", "fd00::/8"]);
    expect(mixed("fd00::1", "198.51.100.1")).toBe("198.51.100.1");
    expect(mixed("a00::1", "198.51.100.1")).toBe("a00::1");
  });

  test("a hop that is not an address is never trusted", () => {
    // With a naive parser "x.10.0.0.5" reads as 10.0.0.5 and would be skipped as a trusted proxy.
    expect(resolve("127.0.0.1", "198.51.100.1, x.10.0.0.5")).toBe("x.10.0.0.5");
    expect(resolve("127.0.0.1", "198.51.100.1, unknown")).toBe("unknown");
  });

  test("no peer at all", () => {
    expect(resolve(undefined, "198.51.100.1")).toBe("unknown");
  });

  test("a trusted proxy entry that is not an IP or CIDR is refused at boot", () => {
    expect(() => createClientIpResolver(["caddy"])).toThrow(/caddy/);
    expect(() => createClientIpResolver(["10.0.0.0/33"])).toThrow();
  });
});

describe("clientNetwork", () => {
  test("IPv4 counts as itself", () => {
    expect(clientNetwork("203.0.113.7", 64)).toBe("203.0.113.7");
  });

  test("IPv6 counts by its /64 (or the configured prefix)", () => {
    const network = "2001:db8:1:2:0:0:0:0/64";
    for (const address of ["2001:db8:1:2::1", "2001:DB8:1:2:ffff:ffff:ffff:ffff", "2001:0db8:0001:0002:aaaa::4", "2001:db8:1:2::5%eth0"]) {
      expect(clientNetwork(address, 64)).toBe(network);
    }
    expect(clientNetwork("2001:db8:1:3::1", 64)).not.toBe(network);
    expect(clientNetwork("2001:db8:1:2::1", 48)).toBe("2001:db8:1:0:0:0:0:0/48");
    expect(clientNetwork("2001:db8:1:ffff::1", 56)).toBe("2001:db8:1:ff00:0:0:0:0/56");
    expect(clientNetwork("2001:db8::1", 128)).toBe("2001:db8:0:0:0:0:0:1/128");
    expect(clientNetwork("::1", 64)).toBe("0:0:0:0:0:0:0:0/64");
  });

  test("IPv4-mapped IPv6, dotted or hex, counts as the IPv4 address", () => {
    expect(clientNetwork("::ffff:203.0.113.7", 64)).toBe("203.0.113.7");
    expect(clientNetwork("::FFFF:cb00:7107", 64)).toBe("203.0.113.7");
    expect(clientNetwork("0:0:0:0:0:ffff:cb00:7107", 64)).toBe("203.0.113.7");
  });

  test("what is not an address is counted as given", () => {
    expect(clientNetwork("unknown", 64)).toBe("unknown");
  });
});
