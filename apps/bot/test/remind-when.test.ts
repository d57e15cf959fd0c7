import { describe, expect, test } from "bun:test";
import { parseReminder } from "../src/bot/features/reminders/when";

/** How `/remind` reads its argument: the instant (or rule and local time) it names in the user's zone, and the text after it. */
const berlin = (now: string, input: string, language = "en") => parseReminder(input, { now: new Date(now), timeZone: "Europe/Berlin", language });

describe("reading /remind", () => {
  test("one-off times are read in the user's zone, from the given clock", () => {
    const now = "2026-03-10T10:00:00.000Z"; // 11:00 in Berlin, a Tuesday
    const cases: [string, string, string][] = [
      ["in 10 minutes take the pizza out", "2026-03-10T10:10:00.000Z", "take the pizza out"],
      ["in 2 hours to stretch", "2026-03-10T12:00:00.000Z", "stretch"],
      ["tomorrow 9:00 water the plants", "2026-03-11T08:00:00.000Z", "water the plants"],
      ["tomorrow at 9am call Bob", "2026-03-11T08:00:00.000Z", "call Bob"],
      ["at 18:00 call mum", "2026-03-10T17:00:00.000Z", "call mum"],
      ["at 9:00 past already today, so tomorrow", "2026-03-11T08:00:00.000Z", "past already today, so tomorrow"],
      ["on 2027-01-15 14:00 dentist", "2027-01-15T13:00:00.000Z", "dentist"],
      ["2027-01-15 14:00: dentist", "2027-01-15T13:00:00.000Z", "dentist"],
      ["monday 9:00 plan the week", "2026-03-16T08:00:00.000Z", "plan the week"],
      ["tomorrow 9:00 UTC standup", "2026-03-11T09:00:00.000Z", "standup"],
    ];
    for (const [input, at, text] of cases) expect({ input, parsed: berlin(now, input) }).toEqual({ input, parsed: { kind: "once", at: new Date(at), text } });
  });

  test("German, in a German chat or an English one", () => {
    const now = "2026-03-10T10:00:00.000Z";
    for (const language of ["de", "en"]) {
      expect(berlin(now, "morgen um 9 Uhr Pflanzen gießen", language)).toEqual({
        kind: "once",
        at: new Date("2026-03-11T08:00:00.000Z"),
        text: "Pflanzen gießen",
      });
      expect(berlin(now, "in 10 Minuten Tee", language)).toEqual({ kind: "once", at: new Date("2026-03-10T10:10:00.000Z"), text: "Tee" });
      expect(berlin(now, "am 15.01.2027 14:00 Zahnarzt", language)).toEqual({ kind: "once", at: new Date("2027-01-15T13:00:00.000Z"), text: "Zahnarzt" });
    }
    expect(berlin(now, "tomorrow 9:00 water", "de")).toEqual({ kind: "once", at: new Date("2026-03-11T08:00:00.000Z"), text: "water" });
  });

  test("across the spring-forward night (2026-03-29 in Berlin): wall times in the new offset, durations in real time", () => {
    expect(berlin("2026-03-28T12:00:00.000Z", "tomorrow 9:00 x")).toMatchObject({ at: new Date("2026-03-29T07:00:00.000Z") });
    // 01:30 CET; two hours later it is 04:30 CEST (02:30 never happens).
    expect(berlin("2026-03-29T00:30:00.000Z", "in 2 hours x")).toMatchObject({ at: new Date("2026-03-29T02:30:00.000Z") });
    expect(berlin("2026-03-28T12:00:00.000Z", "tomorrow 2:30 x")).toMatchObject({ at: new Date("2026-03-29T01:30:00.000Z") });
  });

  test("repeats become the notification service's RRULEs, from the next time the clock shows the time of day", () => {
    const now = "2026-03-10T10:00:00.000Z"; // 11:00 in Berlin
    const weekdays = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR";
    const cases: [string, string, string, string, string][] = [
      ["every weekday 8:30 stand-up", weekdays, "08:30", "2026-03-11T07:30:00.000Z", "stand-up"],
      ["every day 7:00 vitamins", "FREQ=DAILY", "07:00", "2026-03-11T06:00:00.000Z", "vitamins"],
      ["daily at 12:15 lunch", "FREQ=DAILY", "12:15", "2026-03-10T11:15:00.000Z", "lunch"],
      ["every monday 9:00 plan the week", "FREQ=WEEKLY;BYDAY=MO", "09:00", "2026-03-11T08:00:00.000Z", "plan the week"],
      ["every thursday and monday at 6pm gym", "FREQ=WEEKLY;BYDAY=MO,TH", "18:00", "2026-03-10T17:00:00.000Z", "gym"],
      ["every mon, wed & fri 7:30 pm run", "FREQ=WEEKLY;BYDAY=MO,WE,FR", "19:30", "2026-03-10T18:30:00.000Z", "run"],
      ["every weekend 10:00 sleep in", "FREQ=WEEKLY;BYDAY=SA,SU", "10:00", "2026-03-11T09:00:00.000Z", "sleep in"],
      ["every day 12am midnight snack", "FREQ=DAILY", "00:00", "2026-03-10T23:00:00.000Z", "midnight snack"],
      ["jeden Werktag 8:30 Stand-up", weekdays, "08:30", "2026-03-11T07:30:00.000Z", "Stand-up"],
      ["jeden Montag und Donnerstag um 18 Uhr Sport", "FREQ=WEEKLY;BYDAY=MO,TH", "18:00", "2026-03-10T17:00:00.000Z", "Sport"],
      ["täglich 7.00 Vitamine", "FREQ=DAILY", "07:00", "2026-03-11T06:00:00.000Z", "Vitamine"],
      ["werktags 8:30 Stand-up", weekdays, "08:30", "2026-03-11T07:30:00.000Z", "Stand-up"],
    ];
    for (const [input, rule, time, from, text] of cases) {
      expect({ input, parsed: berlin(now, input) }).toEqual({ input, parsed: { kind: "repeat", rule, time, from: new Date(from), text } });
    }
  });

  test("no time first, no text after it, or no time of day for a repeat: not read (the usage is shown)", () => {
    const now = "2026-03-10T10:00:00.000Z";
    for (const input of [
      "",
      "hello there",
      "water the plants tomorrow",
      "tomorrow 9:00",
      "in 10 minutes   ",
      "every day water the plants",
      "every day 7 pushups",
      "every day 25:00 x",
      "every day 9:75 x",
      "every day 13pm x",
      "every fortnight 9:00 x",
      "every 9:00 x",
    ]) {
      expect({ input, parsed: berlin(now, input) }).toEqual({ input, parsed: null });
    }
  });
});
