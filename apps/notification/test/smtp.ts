import { eventually } from "@lodge/kit/testing";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/**
 * A real SMTP server on a local port (smtp-server), keeping every message it accepts, parsed by
 * mailparser. `failNext(n)` answers the next n messages with a temporary failure (451), as a
 * mail server under load does.
 */
export async function startTestSmtp() {
  const received: ParsedMail[] = [];
  let failures = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          if (failures > 0) {
            failures -= 1;
            const error = Object.assign(new Error("Try again later"), { responseCode: 451 });
            return callback(error);
          }
          received.push(mail);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as { port: number };
  /** The messages sent to `address`. */
  const to = (address: string) => received.filter((mail) => JSON.stringify(mail.to).includes(address));
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    failNext: (count: number) => {
      failures = count;
    },
    to,
    /** The messages sent to `address`, once exactly `count` of them have arrived. */
    arrived: (address: string, count = 1) =>
      eventually(() => {
        const mails = to(address);
        return mails.length === count && mails;
      }),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
