import { describe, expect, test } from "bun:test";
import { isPrivateAddress, refusedTarget } from "../src/public-address";

describe("isPrivateAddress", () => {
  test("refuses loopback, private, link-local, CGNAT, multicast and mapped forms; lets public ones through", () => {
    for (const address of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "::1",
      "::",
      "fd00::1",
      "fe80::1",
      "::ffff:127.0.0.1",
      "not-an-ip",
    ])
      expect(isPrivateAddress(address)).toBe(true);
    for (const address of ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:4860:4860::8888", "::ffff:8.8.8.8"]) expect(isPrivateAddress(address)).toBe(false);
  });
});

describe("refusedTarget", () => {
  test("a private literal or a name resolving to one is refused unless its host is allowed", async () => {
    expect(await refusedTarget(new URL("https://127.0.0.1/push"))).toMatch(/private/);
    expect(await refusedTarget(new URL("https://[::1]:8443/push"))).toMatch(/private/);
    expect(await refusedTarget(new URL("https://localhost/push"))).toMatch(/private/);
    expect(await refusedTarget(new URL("https://127.0.0.1/push"), ["127.0.0.1"])).toBeUndefined();
    expect(await refusedTarget(new URL("https://93.184.215.14/push"))).toBeUndefined();
    expect(await refusedTarget(new URL("https://does-not-exist.invalid/push"))).toBe("does not resolve");
  });
});
