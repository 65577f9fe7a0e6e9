// Peer for `npm run bench`: the floor. A Hono route that does no work, so every other route's
// throughput is read as a ratio to it (see scripts/bench/peers.mjs).
import { Hono } from 'hono';

const app = new Hono();

app.get('/', (c) => c.json({ ok: true }));

export default app;
