/** Telegram's `start` payload: 1 to 64 of A-Z a-z 0-9 _ -. */
export const startPayload = /^[\w-]{1,64}$/;

/** The t.me link that opens a private chat with the bot and sends `/start <payload>` when the person presses Start. */
export function deepLink(botUsername: string, payload: string): string {
  return `https://t.me/${botUsername}?start=${payload}`;
}
