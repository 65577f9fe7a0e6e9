/**
 * Creates that take JSON or, as seed 002 sends them, multipart/form-data with a file: both are
 * read into one candidate object and checked by the same zod schema.
 */
import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { formValue, isMultipart, readMultipart, type UploadedFile } from './multipart';
import { problems } from './problem';
import { fieldErrors } from './router';

/** How a form field becomes a JSON value: text, JSON text, or a list (JSON text or repeated fields). */
export type FormField = 'text' | 'json' | 'list';

export async function readJsonOrForm<S extends z.ZodTypeAny>(
  c: Context,
  schema: S,
  fields: Record<string, FormField>,
  opts: { file: string; maxFileBytes: number; listAliases?: Record<string, string> },
): Promise<{ input: z.infer<S>; file: UploadedFile | undefined }> {
  let candidate: unknown;
  let file: UploadedFile | undefined;
  if (isMultipart(c.req.header('Content-Type'))) {
    const form = await readMultipart(c.req.raw, opts.maxFileBytes);
    const values: Record<string, unknown> = {};
    for (const [name, kind] of Object.entries(fields)) {
      let value = formValue(form, name, kind === 'text' ? 'text' : 'json');
      const alias = opts.listAliases?.[name];
      if (kind === 'list' && value === undefined && alias) value = formValue(form, alias, 'text');
      if (kind === 'list' && typeof value === 'string') value = [value];
      if (value !== undefined) values[name] = value;
    }
    candidate = values;
    file = form.files[opts.file];
  } else {
    // The route's validator has parsed a JSON body already (hono caches it); no body reads as {}.
    candidate = c.req.header('Content-Type') ? await c.req.json() : {};
  }
  const parsed = schema.safeParse(candidate);
  if (!parsed.success) throw problems.invalid(fieldErrors(parsed.error), 'The request body is not valid.');
  return { input: parsed.data, file };
}
