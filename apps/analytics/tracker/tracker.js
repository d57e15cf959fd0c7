/**
 * Lodge's analytics tracker, served minified at /analytics/script.js:
 *   <script defer data-site-key="KEY" src="https://example.com/analytics/script.js"></script>
 * It records a pageview on load and on every single-page-app navigation (history.pushState,
 * replaceState, popstate; hash changes too with data-hash), outbound link clicks and file downloads
 * when asked (data-outbound-links, data-file-downloads), and custom events through
 * lodge.track(name, props). It sets no cookie and stores nothing on the device: each event is one
 * stateless request, and the server derives the day's visitor from it.
 *
 * Its <script> tag's attributes:
 *   data-site-key          the site's key (required)
 *   data-api               where events go (default: the script's origin + /analytics/events)
 *   data-hash              hash routes (`/#/about`, `/#!/about`) are pages: the url keeps its hash, hashchange is a navigation
 *                          (an anchor such as `#top` is not a page: the ingest keeps only a hash starting with `#/` or `#!/`)
 *   data-outbound-links    clicks on links to other hosts: 'Outbound Link: Click' { url }
 *   data-file-downloads    clicks on links to files: 'File Download' { url }; a value ("pdf,zip") replaces the default extensions
 *   data-exclude           pages never recorded: comma-separated paths, `*` within a segment, `**` across segments
 *   data-allow-localhost   record on localhost, 127.0.0.1 and file: pages too (ignored otherwise, so development is not counted)
 *   data-respect-dnt       record nothing for browsers that send Do Not Track or Global Privacy Control
 * Calls made before the script has loaded are queued by the snippet
 *   window.lodge = window.lodge || function () { (window.lodge.q = window.lodge.q || []).push(arguments) };
 * and sent once it has.
 */
(() => {
  // Loaded twice (two tags): the first one records.
  if (window.lodge?.track) return;
  const script = document.currentScript || document.querySelector("script[data-site-key]");
  if (!script) return;
  const attribute = (name) => script.getAttribute(`data-${name}`);
  const has = (name) => script.hasAttribute(`data-${name}`);
  const api = attribute("api") || `${new URL(script.src, location.href).origin}/analytics/events`;
  const hashRoutes = has("hash");
  const downloads =
    has("file-downloads") &&
    (attribute("file-downloads") || "pdf,xlsx,docx,txt,rtf,csv,exe,key,pps,ppt,pptx,7z,pkg,rar,gz,zip,avi,mov,mp4,mpeg,wmv,midi,mp3,wav,wma,dmg").split(",");
  /** `/admin/*` → /^\/admin\/[^/]*$/: `*` stays within a segment, `**` crosses them. */
  const pathPattern = (glob) =>
    new RegExp(
      `^${glob
        .trim()
        .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
        .replace(/\*\*?/g, (stars) => (stars.length > 1 ? ".*" : "[^/]*"))}$`,
    );
  const excluded = (attribute("exclude") || "").split(",").filter(Boolean).map(pathPattern);
  const local = /^(localhost|127(\.\d+){3}|\[::1\])$/.test(location.hostname) || location.protocol === "file:";

  /** Why an event is not sent (logged, so a site owner can see it), or nothing when it is. */
  const ignored = () => {
    if (local && !has("allow-localhost")) return "localhost";
    if (has("respect-dnt") && (navigator.doNotTrack === "1" || navigator.globalPrivacyControl)) return "Do Not Track";
    if (excluded.some((pattern) => pattern.test(location.pathname))) return "excluded page";
  };

  const track = (name, props) => {
    const reason = ignored();
    if (reason) return console.info(`lodge: ignoring ${name} (${reason})`);
    const strings = {};
    for (const key in props || {}) strings[key] = String(props[key]);
    const body = JSON.stringify({
      siteKey: attribute("site-key"),
      name,
      url: hashRoutes ? location.href : location.href.split("#")[0],
      referrer: document.referrer || null,
      screenWidth: screen.width,
      props: strings,
    });
    // A beacon outlives the page (a click that navigates away); it goes as text/plain, so no CORS preflight.
    if (!navigator.sendBeacon?.(api, body))
      fetch(api, { method: "POST", body, keepalive: true, credentials: "omit", headers: { "content-type": "text/plain" } });
  };

  let lastPage;
  const pageview = () => {
    const page = location.pathname + (hashRoutes && /^#!?\//.test(location.hash) ? location.hash : "");
    // replaceState with the same path, and popstate of a hash change, are not a new page.
    if (page === lastPage) return;
    lastPage = page;
    track("pageview");
  };

  for (const method of ["pushState", "replaceState"]) {
    const original = history[method];
    history[method] = function (...args) {
      const result = original.apply(this, args);
      pageview();
      return result;
    };
  }
  addEventListener("popstate", pageview);
  if (hashRoutes) addEventListener("hashchange", pageview);

  const onClick = (event) => {
    if (event.type === "auxclick" && event.button !== 1) return;
    const link = event.target.closest?.("a[href]");
    if (!link || !/^https?:$/.test(link.protocol)) return;
    const extension = link.pathname.split(".").pop().toLowerCase();
    if (downloads && link.pathname.includes(".") && downloads.includes(extension)) track("File Download", { url: link.href });
    else if (has("outbound-links") && link.host !== location.host) track("Outbound Link: Click", { url: link.href });
  };
  document.addEventListener("click", onClick);
  document.addEventListener("auxclick", onClick);

  const queued = window.lodge?.q || [];
  window.lodge = (name, props) => track(name, props);
  window.lodge.track = window.lodge;
  pageview();
  for (const args of queued) track(args[0], args[1]);
})();
