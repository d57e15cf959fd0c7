import { parseEnv } from "@lodge/config";
import { deliveries, notifications, recipients } from "@lodge/db/schema";
import { createTestDatabase } from "@lodge/db/testing";
import { defaultPreferences, type EventDataOf, type EventType } from "@lodge/events";
import { createLogger } from "@lodge/kit";
import { createTestClock, createTestRedis, eventually, call as request, runDueJobs, startTestIssuer } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { notificationEnv } from "../src/env";
import { type NotificationServiceOptions, startNotificationService } from "../src/service";
import { createNotification } from "../src/services/create-notification";
import { startTestSmtp } from "./smtp";

export type TestNotifications = Awaited<ReturnType<typeof startTestNotifications>>;

export const APP_URL = "https://app.example.com";

/**
 * The notification service in this process on a random port, with its own test database and Redis
 * prefix, tokens from a test issuer, and a real SMTP server receiving its email. Events are put
 * on the bus as auth publishes them (`publish`); the email worker runs unless `jobs: false`.
 */
export async function startTestNotifications(options: { env?: Record<string, string> } & Pick<NotificationServiceOptions, "jobs" | "mailer" | "fetch"> = {}) {
  const database = await createTestDatabase();
  const { redis, prefix, cleanup } = await createTestRedis();
  const clock = createTestClock();
  const issuer = await startTestIssuer({ clock: clock.now });
  const smtp = await startTestSmtp();
  const env = parseEnv(notificationEnv, {
    DATABASE_URL: database.url,
    REDIS_URL: "redis://127.0.0.1:6379",
    REDIS_PREFIX: prefix,
    JWKS_URL: issuer.jwksUrl,
    LOG_LEVEL: "silent",
    APP_URL,
    SMTP_URL: smtp.url,
    MAIL_FROM: "Lodge <no-reply@lodge.test>",
    ...options.env,
  });
  /** An instance of the service on this database, Redis prefix and clock (a second one is a restart, or another replica). */
  const startInstance = (instance: Pick<NotificationServiceOptions, "jobs" | "mailer" | "fetch"> = {}) =>
    startNotificationService({
      env,
      database,
      redis,
      clock: clock.now,
      logger: createLogger({ service: "notification", level: process.env.TEST_LOG_LEVEL ?? "silent" }),
      ...instance,
    });
  const service = await startInstance({ jobs: options.jobs, mailer: options.mailer, fetch: options.fetch });
  const server = serveOnRandomPort(service);
  const url = `http://127.0.0.1:${server.port}`;
  const instances: { close: () => Promise<void> }[] = [];
  const db = database.db;

  /** What a service function is called with, as the routes and workers call it. */
  const ctx = { deps: service.deps, logger: service.deps.logger };
  const deliveriesOf = (notificationId: string) => db.select().from(deliveries).where(eq(deliveries.notificationId, notificationId));

  /** Publishes an event as its service does; resolves with its envelope. */
  const publish = <T extends EventType>(type: T, data: EventDataOf<T>) => service.deps.bus.publish(type, data);

  /** The notifications of a user, once at least `count` are stored. */
  async function notificationsOf(userId: string, count = 1) {
    return eventually(async () => {
      const rows = await db.select().from(notifications).where(eq(notifications.userId, userId));
      return rows.length >= count && rows;
    });
  }

  /**
   * A user this service knows by address (`<id>@example.com`), time zone and (if given) the user
   * service's preferences at `version`, once every event is handled.
   */
  async function recipient(options: { timeZone?: string; preferences?: Partial<typeof defaultPreferences>; version?: number } = {}) {
    const user = await issuer.user();
    const email = `${user.id}@example.com`;
    await publish("user.registered", { userId: user.id, email, name: null });
    if (options.timeZone) await publish("user.profile_updated", { userId: user.id, changed: ["timezone"], timezone: options.timeZone });
    if (options.preferences) {
      const preferences = { ...defaultPreferences, ...options.preferences };
      await publish("user.preferences_updated", { userId: user.id, version: options.version ?? 1, preferences, updatedAt: clock.now().toISOString() });
    }
    await eventually(async () => {
      const [row] = await db.select().from(recipients).where(eq(recipients.userId, user.id));
      return (
        row?.email === email &&
        (row.timeZone ?? "UTC") === (options.timeZone ?? "UTC") &&
        (row.preferencesVersion ?? 0) === (options.preferences ? (options.version ?? 1) : 0)
      );
    });
    return { ...user, email };
  }

  /** A system announcement (with a link) to `userId`, created as the service does: it and its email delivery. */
  async function announce(userId: string, title: string) {
    const data = { title, body: `About ${title}`, link: "https://app.example.com/news" };
    const notification = await createNotification({
      ctx: { deps: service.deps, logger: service.deps.logger },
      input: { userId, type: "system.announcement", data },
    });
    const email = (await deliveriesOf(notification.id)).find((row) => row.channel === "email");
    return { notification, email };
  }

  /** Another instance of the service on the same database and Redis (as behind Caddy): its URL. */
  async function anotherInstance() {
    const other = await startInstance({ jobs: false });
    const otherServer = serveOnRandomPort(other);
    instances.push({
      close: async () => {
        await otherServer.stop(true);
        await other.close();
      },
    });
    return { url: `http://127.0.0.1:${otherServer.port}`, deps: other.deps };
  }

  return {
    url,
    anotherInstance,
    /** The env another process of the service would need to share this one's database and Redis. */
    sharedEnv: { DATABASE_URL: database.url, REDIS_URL: "redis://127.0.0.1:6379", REDIS_PREFIX: prefix, JWKS_URL: issuer.jwksUrl, APP_URL },
    call: (method: string, path: string, callOptions?: Parameters<typeof request>[3]) => request(url, method, path, callOptions),
    issuer,
    user: () => issuer.user(),
    smtp,
    publish,
    notificationsOf,
    deliveriesOf,
    recipient,
    announce,
    service,
    deps: service.deps,
    ctx,
    db,
    redis,
    prefix,
    advance: clock.advance,
    /** Moves the clock to `iso` (back or forth). */
    setTime: (iso: string) => clock.advance(Date.parse(iso) - clock.now().getTime()),
    now: clock.now,
    startInstance,
    /** Runs the trigger jobs (scheduled sends, reminders, the sweeps) due by the clock. */
    runDue: () => runDueJobs(service.deps.triggers),
    close: async () => {
      for (const instance of instances) await instance.close();
      await server.stop(true);
      await service.close();
      await smtp.stop();
      await issuer.stop();
      await database.drop();
      await cleanup();
    },
  };
}

/** Serves a started service as runMain does (its WebSocket handler too) on a random local port. */
function serveOnRandomPort(service: Awaited<ReturnType<typeof startNotificationService>>) {
  return Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: service.app.fetch, websocket: service.websocket as Bun.WebSocketHandler<undefined> });
}
