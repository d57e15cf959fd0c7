import webpush from "web-push";

/** Prints a new VAPID key pair as .env lines (`bun run --cwd apps/notification vapid:keys`). Keep the private key secret; changing the pair invalidates every browser's subscription. */
const { publicKey, privateKey } = webpush.generateVAPIDKeys();
console.log(`VAPID_PUBLIC_KEY=${publicKey}\nVAPID_PRIVATE_KEY=${privateKey}\nVAPID_SUBJECT=mailto:ops@example.com`);
