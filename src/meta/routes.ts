import { z } from '@hono/zod-openapi';
import { publicRoute } from '../http/openapi';
import { createRouter } from '../http/router';

export const healthRoutes = createRouter();

healthRoutes.openapi(
  publicRoute({
    method: 'get',
    operationId: 'health',
    path: '/health',
    tags: ['Meta'],
    summary: 'Liveness: answers without touching D1 or R2',
    responses: {
      200: {
        description: 'Alive.',
        content: { 'application/json': { schema: z.object({ status: z.literal('ok') }).openapi('Health') } },
      },
    },
  }),
  (c) => c.json({ status: 'ok' as const }, 200),
);
