// Peer for `npm run bench`: a worker written the way Cloudflare's chanfana OpenAPI template
// (github.com/cloudflare/templates, chanfana-openapi-template) writes one: Hono, chanfana's
// fromHono, a zod model of the tasks table and chanfana's D1 endpoints, which build the SQL,
// validate the query and path, and answer a list page with its count. No auth, as the template.
// Only the list and the read of the template's tasks router are kept: those are what the
// benchmark drives.
import { D1ListEndpoint, D1ReadEndpoint, fromHono } from 'chanfana';
import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';

type Env = { DB: D1Database };
type HandleArgs = [Context<{ Bindings: Env }>];

const task = z.object({
  id: z.number().int(),
  name: z.string(),
  slug: z.string(),
  description: z.string(),
  completed: z.boolean(),
  due_date: z.iso.datetime(),
});

const TaskModel = {
  tableName: 'tasks',
  primaryKeys: ['id'],
  schema: task,
  // D1 answers SQLite's 0/1 for the boolean.
  serializer: (obj: object) => ({ ...obj, completed: Boolean((obj as { completed: unknown }).completed) }),
  serializerSchema: task,
};

class TaskList extends D1ListEndpoint<HandleArgs> {
  override _meta = { model: TaskModel };
  override searchFields = ['name', 'slug', 'description'];
  // The template's `defaultOrderBy = "id DESC"` is refused by chanfana 3 (an order column must be a
  // bare identifier); newest first is said this way now.
  override orderByFields = ['id'];
  override defaultOrderByDirection = 'desc' as const;
}

class TaskRead extends D1ReadEndpoint<HandleArgs> {
  override _meta = { model: TaskModel };
}

const app = new Hono<{ Bindings: Env }>();

// chanfana 3 turns its validation and not-found errors into HTTPExceptions carrying its response.
app.onError((err, c) => {
  if (err instanceof HTTPException) return err.getResponse();
  console.error('Global error handler caught:', err);
  return c.json({ success: false, errors: [{ code: 7000, message: 'Internal Server Error' }] }, 500);
});

const openapi = fromHono(app, {
  docs_url: '/',
  schema: { info: { title: 'Tasks (benchmark peer)', version: '1.0.0' } },
});

const tasksRouter = fromHono(new Hono());
tasksRouter.get('/', TaskList);
tasksRouter.get('/:id', TaskRead);
openapi.route('/tasks', tasksRouter);

export default app;
