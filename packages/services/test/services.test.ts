/**
 * The list's derived values. Whether compose.yaml, the Caddyfile, rollout.sh and prometheus.yml
 * agree with the list is checked in test/deploy/compose.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { clientSettings, envName, erasingServices, localUrlOf, machineClients, servesPath, serviceNamed, services } from "../src/index";

describe("@lodge/services", () => {
  test("the erasing services are those holding user data, in the list's order", () => {
    expect([...erasingServices]).toEqual(services.filter((service) => service.holdsUserData).map((service) => service.name));
    expect(erasingServices).toEqual(["auth", "user", "file", "notification", "ai", "analytics", "bot"]);
  });

  test("a path belongs to a service when it is one of its prefixes or lies under one", () => {
    const auth = serviceNamed("auth");
    expect(["/auth", "/auth/me", "/.well-known/jwks.json"].map((path) => servesPath(auth, path))).toEqual([true, true, true]);
    expect(["/authx", "/users", "/", "/.well-known"].map((path) => servesPath(auth, path))).toEqual([false, false, false, false]);
  });

  test("environment names and local URLs follow the service's name and port", () => {
    expect(envName("file", "UPSTREAMS")).toBe("FILE_UPSTREAMS");
    expect(localUrlOf("user")).toBe(`http://127.0.0.1:${serviceNamed("user").port}`);
  });

  test("machine clients: the list's id and scopes, a fresh secret each, configured as compose.yaml does it", () => {
    let count = 0;
    const secret = () => `secret-${++count}-0123456789abcdefghij`;
    const clients = machineClients(secret);
    expect(clients).toEqual([
      {
        service: "user",
        id: "user-service",
        secret: "secret-1-0123456789abcdefghij",
        scopes: ["auth:verify_password", "users:export", "files:write", "files:export", "notifications:export", "ai:export", "analytics:export", "bot:export"],
      },
      { service: "notification", id: "notification-service", secret: "secret-2-0123456789abcdefghij", scopes: ["users:settings"] },
      { service: "ai", id: "ai-service", secret: "secret-3-0123456789abcdefghij", scopes: ["files:write"] },
      {
        service: "bot",
        id: "bot-service",
        secret: "secret-4-0123456789abcdefghij",
        scopes: ["ai:invoke", "notifications:reminders", "users:preferences", "users:settings"],
      },
    ]);
    expect(machineClients(secret, ["auth", "file"])).toEqual([]);
    expect(clientSettings(clients)).toEqual({
      authClients: [
        "user-service:secret-1-0123456789abcdefghij:auth:verify_password users:export files:write files:export notifications:export ai:export analytics:export bot:export",
        "notification-service:secret-2-0123456789abcdefghij:users:settings",
        "ai-service:secret-3-0123456789abcdefghij:files:write",
        "bot-service:secret-4-0123456789abcdefghij:ai:invoke notifications:reminders users:preferences users:settings",
      ],
      serviceEnv: {
        USER_CLIENT_ID: "user-service",
        USER_CLIENT_SECRET: "secret-1-0123456789abcdefghij",
        NOTIFICATION_CLIENT_ID: "notification-service",
        NOTIFICATION_CLIENT_SECRET: "secret-2-0123456789abcdefghij",
        AI_CLIENT_ID: "ai-service",
        AI_CLIENT_SECRET: "secret-3-0123456789abcdefghij",
        BOT_CLIENT_ID: "bot-service",
        BOT_CLIENT_SECRET: "secret-4-0123456789abcdefghij",
      },
    });
  });
});
