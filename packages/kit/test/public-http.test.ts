import { afterAll, describe, expect, test } from "bun:test";
import { createServer, type Socket } from "node:net";
import { checkTarget, getFromTarget, isPublicAddress, postToTarget, RefusedTarget } from "../src/public-http";

describe("isPublicAddress", () => {
  test("private, loopback, link-local, CGNAT, multicast, unspecified and reserved addresses of both families are not public", () => {
    const notPublic = [
      "0.0.0.0",
      "10.1.2.3",
      "100.64.0.1",
      "100.127.255.254",
      "127.0.0.1",
      "127.255.255.255",
      "169.254.169.254",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "192.0.0.8",
      "198.18.0.1",
      "224.0.0.1",
      "239.255.255.250",
      "255.255.255.255",
      "::",
      "::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "0:0:0:0:0:ffff:a00:1",
      "::ffff:169.254.169.254",
      "::127.0.0.1",
      "fc00::1",
      "fd12:3456::1",
      "fe80::1",
      "ff02::1",
      "64:ff9b::a00:1",
      "2002:7f00:1::",
      "not an address",
      "",
    ];
    for (const address of notPublic) expect({ address, public: isPublicAddress(address) }).toEqual({ address, public: false });
    for (const address of ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
      expect({ address, public: isPublicAddress(address) }).toEqual({ address, public: true });
  });
});

describe("checkTarget", () => {
  const refusal = async (target: string, allowedHosts: string[] = []) => {
    try {
      await checkTarget(target, { allowedHosts });
      return "allowed";
    } catch (error) {
      expect(error).toBeInstanceOf(RefusedTarget);
      return (error as RefusedTarget).reason;
    }
  };

  test("other schemes, credentials, private literals (however spelled) and names resolving to loopback are refused", async () => {
    expect(await refusal("ftp://example.com/")).toBe("scheme");
    expect(await refusal("file:///etc/passwd")).toBe("scheme");
    expect(await refusal("https://user:pass@example.com/")).toBe("credentials");
    for (const target of [
      "http://127.0.0.1/",
      "http://2130706433/",
      "http://0x7f.1/",
      "http://[::1]/",
      "http://[::ffff:127.0.0.1]:8080/",
      "http://10.0.0.1/",
      "http://localhost/",
    ])
      expect({ target, reason: await refusal(target) }).toEqual({ target, reason: "address" });
    expect(await refusal("http://lodge-test.invalid/")).toBe("unresolvable");
  });

  test("an allowed host passes although it is loopback, and only that host", async () => {
    expect((await checkTarget("http://127.0.0.1:9/hook", { allowedHosts: ["127.0.0.1"] })).address).toBe("127.0.0.1");
    expect(await refusal("http://127.0.0.2/", ["127.0.0.1"])).toBe("address");
    expect(await refusal("http://localhost/", ["127.0.0.1"])).toBe("address");
  });
});

describe("postToTarget", () => {
  const seen: { host: string | null; body: string }[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (request) => {
      const path = new URL(request.url).pathname;
      seen.push({ host: request.headers.get("host"), body: await request.text() });
      if (path === "/redirect") return new Response(null, { status: 302, headers: { location: "http://10.0.0.1/" } });
      if (path === "/large") return new Response("x".repeat(1_000_000));
      if (path === "/silent") return new Promise<Response>(() => {});
      return new Response("ok");
    },
  });
  afterAll(() => server.stop(true));
  const pinned = (path: string) => ({ url: new URL(`http://hooks.lodge-test.invalid:${server.port}${path}`), address: "127.0.0.1", family: 4 as const });
  const options = { headers: { "content-type": "application/json" }, body: '{"a":1}', timeoutMs: 5000, maxResponseBytes: 100 };

  test("connects to the checked address whatever the name resolves to, and keeps the name in Host", async () => {
    const result = await postToTarget(pinned("/hook"), options);
    expect(result).toMatchObject({ status: 200, body: "ok" });
    expect(seen.at(-1)).toEqual({ host: `hooks.lodge-test.invalid:${server.port}`, body: '{"a":1}' });
  });

  test("a redirect is returned, not followed; a large answer is cut at the limit; a silent receiver times out", async () => {
    const before = seen.length;
    expect(await postToTarget(pinned("/redirect"), options)).toMatchObject({ status: 302 });
    expect(seen.length).toBe(before + 1);
    const large = await postToTarget(pinned("/large"), options);
    expect(large.body.length).toBe(100);
    await expect(postToTarget(pinned("/silent"), { ...options, timeoutMs: 50 })).rejects.toThrow("no answer within 50 ms");
  });

  test("over https the TLS ClientHello names the host (SNI) although the connection goes to the checked address", async () => {
    // A plain TCP listener reading the ClientHello, where the server name travels in clear text.
    const hello = Promise.withResolvers<Buffer>();
    const listener = createServer((socket: Socket) =>
      socket.once("data", (data: Buffer) => {
        hello.resolve(data);
        socket.destroy();
      }),
    );
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const port = (listener.address() as { port: number }).port;
    try {
      const target = { url: new URL(`https://hooks.lodge-test.invalid:${port}/hook`), address: "127.0.0.1", family: 4 as const };
      await expect(postToTarget(target, options)).rejects.toThrow();
      expect((await hello.promise).includes("hooks.lodge-test.invalid")).toBe(true);
    } finally {
      listener.close();
    }
  });
});

describe("getFromTarget", () => {
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/image") return new Response(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255]), { headers: { "content-type": "image/png" } });
      if (path === "/large") return new Response(new Uint8Array(1_000_000));
      if (path === "/redirect") return new Response(null, { status: 302, headers: { location: "http://10.0.0.1/" } });
      return new Promise<Response>(() => {});
    },
  });
  afterAll(() => server.stop(true));
  const pinned = (path: string) => ({ url: new URL(`http://images.lodge-test.invalid:${server.port}${path}`), address: "127.0.0.1", family: 4 as const });

  test("reads the bytes as they are, whole when within the limit", async () => {
    const result = await getFromTarget(pinned("/image"), { timeoutMs: 5000, maxResponseBytes: 6 });
    expect(result).toMatchObject({ status: 200, cut: false });
    expect([...result.body]).toEqual([0x89, 0x50, 0x4e, 0x47, 0, 255]);
    expect(result.headers["content-type"]).toBe("image/png");
  });

  test("a larger answer is cut and says so; a redirect is not followed; a silent server times out", async () => {
    const large = await getFromTarget(pinned("/large"), { timeoutMs: 5000, maxResponseBytes: 1000 });
    expect(large.cut).toBe(true);
    expect(large.body.length).toBe(1000);
    expect(await getFromTarget(pinned("/redirect"), { timeoutMs: 5000, maxResponseBytes: 1000 })).toMatchObject({ status: 302, cut: false });
    await expect(getFromTarget(pinned("/silent"), { timeoutMs: 50, maxResponseBytes: 1000 })).rejects.toThrow("no answer within 50 ms");
  });
});
