import { describe, expect, test } from "bun:test";
import { eventData, parseEnvelope } from "@lodge/events";

/** The catalog's contracts for the events other services keep local copies from. */
const envelope = (type: string, data: unknown) => ({ id: crypto.randomUUID(), type, occurredAt: new Date().toISOString(), data });
const userId = crypto.randomUUID();

const document = {
  theme: "dark",
  language: "de-DE",
  notifications: {
    email: { enabled: true, frequency: "daily" },
    push: { enabled: false, frequency: "instant" },
    telegram: { enabled: true, frequency: "weekly" },
  },
  quietHours: { start: "22:00", end: "07:00" },
};

describe("user.profile_updated", () => {
  test("names the changed fields, with the new locale and time zone when they changed; the old shape still parses", () => {
    const schema = eventData["user.profile_updated"];
    expect(schema.parse({ userId, changed: ["bio"] })).toEqual({ userId, changed: ["bio"] });
    const withSettings = { userId, changed: ["locale", "timezone"], locale: "pt-BR", timezone: "America/Sao_Paulo" };
    expect(parseEnvelope(envelope("user.profile_updated", withSettings)).data).toEqual(withSettings);
    expect(schema.safeParse({ userId, changed: ["locale"], locale: 42 }).success).toBe(false);
  });
});

describe("user.preferences_updated", () => {
  const schema = eventData["user.preferences_updated"];
  const event = { userId, version: 3, preferences: document, updatedAt: "2026-03-29T01:30:00.000Z" };

  test("carries the whole document, its version and when it was saved", () => {
    expect(parseEnvelope(envelope("user.preferences_updated", event)).data).toEqual(event);
    expect(schema.parse({ ...event, preferences: { ...document, quietHours: null } }).preferences.quietHours).toBeNull();
  });

  test("a key added to the document later is dropped, not refused, so consumers deployed before it keep working", () => {
    const later = { ...event, preferences: { ...document, fontSize: "large", notifications: { ...document.notifications, sms: { enabled: true } } } };
    expect(schema.parse(later) as unknown).toEqual(event);
  });

  test("missing fields, a version below 1, bad times and unknown frequencies are refused", () => {
    const { quietHours: _, ...withoutQuietHours } = document;
    const bad = [
      { ...event, preferences: withoutQuietHours },
      { ...event, version: 0 },
      { ...event, preferences: { ...document, quietHours: { start: "24:00", end: "07:00" } } },
      { ...event, preferences: { ...document, notifications: { ...document.notifications, push: { enabled: true, frequency: "hourly" } } } },
      { ...event, updatedAt: "yesterday" },
    ];
    for (const data of bad) expect({ data, ok: schema.safeParse(data).success }).toEqual({ data, ok: false });
  });
});

describe("telegram links", () => {
  test("telegram.linked: the user, the chat (a large integer id) and optionally the username and language", () => {
    const full = { userId, chatId: 2_147_483_648_123, username: "grace_h", languageCode: "de" };
    expect(parseEnvelope(envelope("telegram.linked", full)).data).toEqual(full);
    expect(eventData["telegram.linked"].parse({ userId, chatId: 42 })).toEqual({ userId, chatId: 42 });
    for (const chatId of [1.5, "42", Number.MAX_SAFE_INTEGER + 2, null]) {
      expect({ chatId, ok: eventData["telegram.linked"].safeParse({ userId, chatId }).success }).toEqual({ chatId, ok: false });
    }
  });

  test("telegram.unlinked: the user, the chat and why", () => {
    for (const reason of ["unlinked", "blocked", "relinked", "banned", "account_deleted"] as const) {
      expect(parseEnvelope(envelope("telegram.unlinked", { userId, chatId: 42, reason })).data).toEqual({ userId, chatId: 42, reason });
    }
    expect(eventData["telegram.unlinked"].safeParse({ userId, chatId: 42, reason: "bored" }).success).toBe(false);
    expect(eventData["telegram.unlinked"].safeParse({ userId, chatId: 42 }).success).toBe(false);
  });
});

describe("realtime messages", () => {
  test("realtime.message: a user, a publisher's `<service>.<what>` type and small JSON data; the notification service's own types are refused", () => {
    const message = { userId, type: "ai.job_completed", data: { jobId: "j1", status: "done" } };
    expect(parseEnvelope(envelope("realtime.message", message)).data).toEqual(message);
    for (const type of ["notification.created", "unread_count", "AI.done", "ai.", ""]) {
      expect({ type, ok: eventData["realtime.message"].safeParse({ ...message, type }).success }).toEqual({ type, ok: false });
    }
    expect(eventData["realtime.message"].safeParse({ ...message, data: { blob: "x".repeat(16_384) } }).success).toBe(false);
  });
});
