import { describe, expect, test } from "bun:test";
import { createLogger } from "@lodge/kit";
import { createChatTasks } from "../src/helpers/chat-tasks";

const logger = createLogger({ service: "bot-test", level: "silent" });

/** A promise and its resolve, to let a task finish when the test says. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe("a chat's background tasks", () => {
  test("one chat's run in the order handed over, one at a time; another chat's meanwhile", async () => {
    const tasks = createChatTasks({ logger });
    const log: string[] = [];
    const first = gate();
    tasks.run(1, async () => {
      log.push("1a start");
      await first.opened;
      log.push("1a end");
    });
    tasks.run(1, async () => {
      log.push("1b");
    });
    const other = gate();
    tasks.run(2, async () => {
      log.push("2a");
      other.open();
    });
    await other.opened;
    expect(tasks.count(1)).toBe(2);
    expect(log).toEqual(["1a start", "2a"]);
    first.open();
    await tasks.drain(60_000);
    expect(log).toEqual(["1a start", "2a", "1a end", "1b"]);
    expect(tasks.count(1)).toBe(0);
  });

  test("a failing task is logged and the chat's next one still runs", async () => {
    const tasks = createChatTasks({ logger });
    const ran: string[] = [];
    tasks.run(1, async () => {
      throw new Error("boom");
    });
    tasks.run(1, async () => {
      ran.push("next");
    });
    await tasks.drain(60_000);
    expect(ran).toEqual(["next"]);
  });

  test("stopping waits for tasks under way, then aborts those still running after the grace period", async () => {
    const tasks = createChatTasks({ logger });
    const seen: string[] = [];
    tasks.run(1, async (signal) => {
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
      seen.push(`aborted: ${signal.aborted}`);
    });
    tasks.run(2, async (signal) => {
      seen.push(`quick, aborted: ${signal.aborted}`);
    });
    await tasks.drain(0);
    expect(seen.sort()).toEqual(["aborted: true", "quick, aborted: false"]);
  });
});
