/**
 * The Worker's entry (wrangler.toml `main`). The app, with every route, its zod schemas and the
 * OpenAPI document, is evaluated on the isolate's first event, not while the isolate starts:
 * esbuild bundles a dynamic import of our own module as a lazy initializer in the same file, so
 * the bundle's top level is only this module (issue 11: the start evaluated every schema, 92 ms
 * against the chanfana template's 18). Tests and scripts import the app from ./index as before.
 */
import type { Bindings } from './env';

type Worker = (typeof import('./index'))['default'];

let loading: Promise<Worker> | undefined;
const worker = () => (loading ??= import('./index').then((m) => m.default));

export default {
  async fetch(request, env, ctx) {
    return (await worker()).fetch(request, env, ctx);
  },
  async scheduled(controller, env, ctx) {
    return (await worker()).scheduled(controller, env, ctx);
  },
} satisfies ExportedHandler<Bindings>;
