/**
 * Creates that take JSON or, as seed 002 sends them, multipart/form-data with a file: both are
 * read into one candidate object and checked by the same zod schema.
 */
import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { formValue, isMultipart, readMultipart, type UploadedFile } from './multipart';
import { problems } from './problem';
import { fieldErrors } from './router';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * The JSON body of a route that also takes multipart: the route's validator has parsed it already
 * (hono caches it) when it is JSON; no body reads as {}; any other type is refused, not parsed.
 */
export async function readJsonBody(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('Content-Type');
  if (!type) return {};
  if (!JSON_TYPE.test(type)) throw problems.unsupportedMediaType(['application/json', 'multipart/form-data']);
  try {
    return await c.req.json();
  } catch {
    // A JSON type the validator did not take for JSON (odd parameters) reaches here unparsed.
    throw problems.malformed('The body is not valid JSON.');
  }
}

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
    candidate = await readJsonBody(c);
  }
  const parsed = schema.safeParse(candidate);
  if (!parsed.success) throw problems.invalid(fieldErrors(parsed.error), 'The request body is not valid.');
  return { input: parsed.data, file };
}
