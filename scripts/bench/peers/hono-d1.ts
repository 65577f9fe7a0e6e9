// Peer for `npm run bench`: what a read costs with nothing but Hono and hand-written D1
// statements over the tasks table (scripts/bench/peers.mjs seeds it): one row by id, and a page
// of 50 without a count. No validation library, no OpenAPI, no auth.
import { Hono } from 'hono';

const PER_PAGE = 50;

const app = new Hono<{ Bindings: { DB: D1Database } }>();

app.get('/tasks/:id', async (c) => {
  const id = Number(c.req.param('id'));
  const row = Number.isSafeInteger(id) ? await c.env.DB.prepare('SELECT * FROM tasks WHERE id = ?').bind(id).first() : null;
  return row ? c.json({ result: row }) : c.json({ error: 'not found' }, 404);
});

app.get('/tasks', async (c) => {
  const page = Math.max(1, Math.trunc(Number(c.req.query('page'))) || 1);
  const { results } = await c.env.DB.prepare('SELECT * FROM tasks ORDER BY id DESC LIMIT ? OFFSET ?')
    .bind(PER_PAGE, (page - 1) * PER_PAGE)
    .all();
  return c.json({ result: results, page });
});

export default app;
