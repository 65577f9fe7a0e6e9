/**
 * `/openapi.json` and `/docs`: an interactive reference (Swagger UI) to /v1's document and each
 * seed dialect's (`/compat/<dialect>/openapi.json`, chosen in the page), whose script and styles are
 * served from this origin (vendored into public/docs/vendor by `npm install`), so it works
 * offline and under a strict Content-Security-Policy with no inline script.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../http/context';
import { DIALECTS } from '../compat/registry';
import { API_INFO } from './info';
import { SECURITY_SCHEMES, SHARED_COMPONENTS } from '../http/openapi';


const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The documents /docs offers: /v1's, then each dialect's. */
const DOCUMENTS = () => [
  { url: '/openapi.json', name: 'Fieldbase API (/v1)' },
  ...DIALECTS.map((d) => ({ url: `${d.base}/openapi.json`, name: `${d.title} (${d.base})` })),
];

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

const page = () => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fieldbase API reference</title>
<link rel="icon" type="image/png" href="/docs/vendor/favicon-32x32.png">
<link rel="stylesheet" href="/docs/vendor/swagger-ui.css">
</head>
<body>
<form id="documents"><label>Document <select id="document">
${DOCUMENTS()
  .map((d) => `<option value="${escape(d.url)}">${escape(d.name)}</option>`)
  .join('\n')}
</select></label></form>
<div id="swagger-ui"></div>
<script src="/docs/vendor/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

// The document shown is the one selected, or the one named by ?document= (e.g. /docs?document=/compat/portal/openapi.json).
const INIT = `const select = document.getElementById('document');
const asked = new URLSearchParams(location.search).get('document');
if (asked && [...select.options].some((o) => o.value === asked)) select.value = asked;
function show() {
  window.ui = SwaggerUIBundle({
    url: select.value,
    dom_id: '#swagger-ui',
    deepLinking: true,
    tryItOutEnabled: true,
    persistAuthorization: false,
  });
}
select.addEventListener('change', () => {
  history.replaceState(null, '', '?document=' + encodeURIComponent(select.value));
  show();
});
show();
`;

export function mountDocs(app: OpenAPIHono<AppEnv>) {
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) {
    app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  }
  for (const [kind, components] of Object.entries(SHARED_COMPONENTS) as [keyof typeof SHARED_COMPONENTS, Record<string, object>][]) {
    for (const [name, component] of Object.entries(components)) app.openAPIRegistry.registerComponent(kind, name, component as never);
  }
  let document: unknown;
  // Not operations of the API (plain routes, outside the document), so they do not refuse a query:
  // static files that a browser or a cache-busting client may fetch with one.
  app.get('/openapi.json', (c) => {
    document ??= app.getOpenAPI31Document({ openapi: '3.1.0', info: API_INFO, servers: [{ url: '/', 'x-internal': false }], tags: TAGS });
    return c.json(document, 200, { 'Cache-Control': 'public, max-age=300' });
  });
  app.get('/docs', (c) => c.html(page(), 200, { 'Content-Security-Policy': CSP }));
  app.get('/docs/init.js', (c) =>
    c.body(INIT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=300' }),
  );
  // In production the assets layer answers these before the worker runs; in tests and any
  // setup without it, the worker asks the ASSETS binding itself.
  app.get('/docs/vendor/*', async (c) => {
    if (!c.env.ASSETS) return c.notFound();
    return c.env.ASSETS.fetch(c.req.raw);
  });
}

const TAGS = [
  { name: 'Auth', description: 'Sign in and out.' },
  { name: 'Me', description: 'The signed-in user and their tokens.' },
  { name: 'Users', description: 'Accounts.' },
  { name: 'Organizations', description: 'Organisations, their members and logos.' },
  { name: 'Projects', description: 'Projects, their members, logos and trash.' },
  { name: 'Assets', description: 'Assets of projects and organisations; lists as JSON or GeoJSON.' },
  { name: 'Folders', description: "Folders of an asset's data tab." },
  { name: 'Data', description: 'Data files of assets, streamed to and from R2.' },
  { name: 'Spheres', description: '360° photos of assets.' },
  { name: 'Reports', description: 'Reports of projects and assets.' },
  { name: 'Resources', description: 'Files with metadata attached to organisations, projects, assets and reports (seed 004).' },
  { name: 'Documents', description: 'Seed 003’s documents of an entity: its resources.' },
  { name: 'Dashboard', description: 'Counts and recent changes across what you may see.' },
  { name: 'Changes', description: 'The change feed of an organisation, for field apps that sync.' },
  { name: 'Meta', description: 'Health and documents.' },
];
