/** Small schema pieces every module uses. */
import { z } from '@hono/zod-openapi';

export const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const pathParam = (name: string, description: string, example?: string) =>
  z
    .string()
    .min(1)
    .max(254)
    .openapi({ param: { name, in: 'path' }, description, ...(example ? { example } : {}) });

/** Query booleans arrive as text: accept true/false/1/0 and nothing else. */
export const queryBool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .optional();
