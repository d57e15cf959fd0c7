/** The `/docs` page: every service's OpenAPI document in one Scalar reference. */
export function renderDocsPage(sources: { title: string; url: string }[]): string {
  const config = JSON.stringify({ sources, theme: "default", hideClientButton: false }).replaceAll("<", "\\u003c");
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Lodge API reference</title></head>
<body>
<div id="app"></div>
<script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference"></script>
<script>Scalar.createApiReference("#app", ${config});</script>
</body>
</html>`;
}
