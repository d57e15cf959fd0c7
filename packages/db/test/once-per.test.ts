import { expect, test } from "bun:test";
import { oncePer } from "@lodge/db";

test("oncePer builds once per owner, on first use", () => {
  let builds = 0;
  const statementOf = oncePer((owner: { name: string }) => {
    builds += 1;
    return `statement for ${owner.name}`;
  });
  const a = { name: "a" };
  const b = { name: "b" };
  expect(builds).toBe(0);
  expect(statementOf(a)).toBe("statement for a");
  expect(statementOf(a)).toBe("statement for a");
  expect(statementOf(b)).toBe("statement for b");
  expect(builds).toBe(2);
});
