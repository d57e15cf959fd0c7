import { isbot } from "isbot";
import { UAParser } from "ua-parser-js";
import type { EventRow } from "./event-row";

/** Referrer hosts under a name (a host, or its `www.`-less form, or any of its subdomains). */
const referrerNames: Record<string, string> = {
  "google.com": "Google",
  "bing.com": "Bing",
  "duckduckgo.com": "DuckDuckGo",
  "yahoo.com": "Yahoo",
  "yandex.ru": "Yandex",
  "baidu.com": "Baidu",
  "ecosia.org": "Ecosia",
  "search.brave.com": "Brave Search",
  "facebook.com": "Facebook",
  "l.facebook.com": "Facebook",
  "instagram.com": "Instagram",
  "twitter.com": "Twitter",
  "x.com": "Twitter",
  "t.co": "Twitter",
  "linkedin.com": "LinkedIn",
  "lnkd.in": "LinkedIn",
  "reddit.com": "Reddit",
  "news.ycombinator.com": "Hacker News",
  "github.com": "GitHub",
  "youtube.com": "YouTube",
  "t.me": "Telegram",
  "mastodon.social": "Mastodon",
  "chatgpt.com": "ChatGPT",
};

/** `www.google.de`, `news.google.com` → Google: the name of the host or of a domain it is under (country domains of Google too). */
function referrerName(host: string): string | undefined {
  const bare = host.replace(/^www\./, "");
  if (/^google\.[a-z.]+$/.test(bare)) return "Google";
  for (let name = bare; name.includes("."); name = name.slice(name.indexOf(".") + 1)) {
    const found = referrerNames[name];
    if (found) return found;
  }
  return undefined;
}

const isSameSite = (host: string, domain: string, pageHost: string) => host === pageHost || host === domain || host.endsWith(`.${domain}`);

/** Where a pageview was and what sent the visitor there: the event row's columns for it. */
export type Traffic = Pick<EventRow, "referrer" | "source" | "utm_medium" | "utm_campaign" | "utm_content" | "utm_term"> & {
  hostname: string;
  pathname: string;
};

const hashRoute = /^#!?\//;

type Utm = Pick<Traffic, "utm_medium" | "utm_campaign" | "utm_content" | "utm_term"> & { utm_source: string | null };
const utmFields = new Set(["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"]);

/** A query's name or value as URLSearchParams decodes it (`+` a space, `%xx` a byte of UTF-8; a malformed escape stays as it is). */
function formDecoded(text: string): string {
  if (!text.includes("%") && !text.includes("+")) return text;
  const spaced = text.replaceAll("+", " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return new URLSearchParams(`v=${text}`).get("v") ?? "";
  }
}

/**
 * The page's utm_* parameters (the first of each, without control characters, trimmed, at most 300
 * characters; empty is none), read in one pass over its query: split by hand, decoding only what
 * it needs, as URLSearchParams would (iterating `searchParams` cost more than the URL's parse).
 */
function utmOf(page: URL): Utm {
  const utm: Utm = { utm_source: null, utm_medium: null, utm_campaign: null, utm_content: null, utm_term: null };
  const query = page.search;
  if (query === "") return utm;
  const seen = new Set<string>();
  for (const pair of query.slice(1).split("&")) {
    const equals = pair.indexOf("=");
    const key = formDecoded(equals === -1 ? pair : pair.slice(0, equals));
    if (!utmFields.has(key) || seen.has(key)) continue;
    seen.add(key);
    // Decoded, a value may hold control characters (`%00`, which Postgres cannot store): they are left out.
    utm[key as keyof Utm] =
      formDecoded(equals === -1 ? "" : pair.slice(equals + 1))
        .replace(/\p{Cc}/gu, "")
        .trim()
        .slice(0, 300) || null;
  }
  return utm;
}

/** Where a page view came from: utm_source, else the referrer's name or host (not the site's own pages), and the other utm_* fields. */
export function trafficOf(page: URL, referrer: string | null | undefined, siteDomain: string): Traffic {
  const utm = utmOf(page);
  let referrerUrl: URL | undefined;
  try {
    referrerUrl = referrer ? new URL(referrer) : undefined;
  } catch {
    referrerUrl = undefined;
  }
  const external =
    referrerUrl && /^https?:$/.test(referrerUrl.protocol) && !isSameSite(referrerUrl.hostname, siteDomain, page.hostname) ? referrerUrl : undefined;
  return {
    hostname: page.hostname,
    // A hash route (`/#/about`, `#!/about`: the tracker sends the hash only with data-hash) is a page of its own; an anchor (`#top`) is not.
    pathname: page.pathname + (hashRoute.test(page.hash) ? page.hash : ""),
    referrer: external ? `${external.origin}${external.pathname}` : null,
    source: utm.utm_source ?? (external ? (referrerName(external.hostname) ?? external.hostname.replace(/^www\./, "")) : null),
    utm_medium: utm.utm_medium,
    utm_campaign: utm.utm_campaign,
    utm_content: utm.utm_content,
    utm_term: utm.utm_term,
  };
}

export type Agent = { browser: string | null; os: string | null; device: string };

/** Browser, OS and device type from a user agent (desktop when it names no device type). */
export function agentOf(userAgent: string): Agent {
  const result = new UAParser(userAgent).getResult();
  return { browser: result.browser.name ?? null, os: result.os.name ?? null, device: result.device.type ?? "desktop" };
}

/** What a request's user agent says: a bot's (`isbot`: its events are dropped), or a browser's, OS's and device's. */
export type Client = { bot: boolean; agent: Agent };

/** User agents kept at most (a site's visitors use a few hundred), and the longest kept: a flood of made-up ones cannot grow the cache without bound. */
const MAX_AGENTS = 1000;
const MAX_AGENT_LENGTH = 512;

/**
 * `isbot` and `agentOf` of a user agent, worked out once per distinct agent (parsing one costs
 * ~30 µs, as much as a batch of events' other work). Returned objects are shared: not to be changed.
 */
export function createClientCache(): (userAgent: string) => Client {
  const known = new Map<string, Client>();
  return (userAgent) => {
    const cached = known.get(userAgent);
    if (cached) return cached;
    const client = { bot: isbot(userAgent), agent: agentOf(userAgent) };
    if (userAgent.length <= MAX_AGENT_LENGTH) {
      if (known.size >= MAX_AGENTS) known.clear();
      known.set(userAgent, client);
    }
    return client;
  };
}

export type ClientCache = ReturnType<typeof createClientCache>;
