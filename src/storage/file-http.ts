/**
 * The one reader of request bodies that are not plain JSON: every route that takes a file
 * (multipart or raw), a form, or either of them or JSON, reads its input through `readUpload`.
 *
 * Bodies:
 * - multipart/form-data: text fields and one file part, as the seeds send files; the parser holds
 *   a part in memory, so a part is at most MULTIPART_FILE_MAX_BYTES (or the route's own limit);
 * - the file itself as the body, where the route takes one (any media type, or its list), its
 *   name in `X-File-Name` (URL-encoded) or `?name=`: streamed to R2, up to UPLOAD_MAX_BYTES;
 * - JSON or application/x-www-form-urlencoded, where the route says so (no file).
 *
 * A declared field is read the same way wherever it arrives: from the form (or JSON body) or from
 * the query (issue 12: `POST …/data` multipart with `?folder_id=` put the file at the top level).
 * Given in both, a write answers 400 naming it; a GET takes the query's (seed 003 sends `email` in
 * a JSON body on GET: there the URL is the request, which caches and logs key on, and a body only
 * stands in for it). Every field is then checked by the route's schema, the file's presence with
 * it, and all faults answer in one 400.
 *
 * A body on GET is read here alone, held to the JSON limit: the body limit (http/body-limit.ts)
 * passes GETs by, since a GET's Request cannot be rebuilt around a counted body.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { JSON_LIMITS, parseJsonText } from '../http/json-limits';
import { binary } from '../http/openapi';
import { isMultipart, readBounded, readMultipart } from '../http/multipart';
import { Problem, problems, type FieldError } from '../http/problem';
import { settings } from '../env';
import { fieldErrors } from '../http/router';
import { TYPE_CHECKED, type IncomingFile } from './uploads';

export const MULTIPART_FILE_MAX_BYTES = 25 * 1024 * 1024;

/**
 * How a form (or the query) carries a field: one text value, JSON text, or a list (the field
 * repeated, or given once as a JSON array: seed 002's `url`, `attach`).
 */
export type FormField = 'text' | 'json' | 'list';

export interface FileSpec {
  /** The form part that carries the file. */
  part: string;
  required: boolean;
  /** The body itself may be the file: of any media type, or of these (plus none declared). */
  raw?: 'any' | readonly string[];
  /** The largest file part a form may carry (held in memory); MULTIPART_FILE_MAX_BYTES by default. */
  maxPartBytes?: number;
  /** The field that takes the file's own name when the request names none. */
  names?: string;
  /** The message when a required file is missing. */
  missing?: string;
}

export interface UploadSpec<S extends z.ZodTypeAny> {
  /** The fields a form or the query carries, and how. */
  fields: Record<string, FormField>;
  /** Checks everything read (a JSON body whole, with its unknown keys). */
  schema: S;
  file?: FileSpec;
  /** Also a JSON body (the fields as an object; no file). */
  json?: boolean;
  /** Also application/x-www-form-urlencoded (no file). */
  urlencoded?: boolean;
  /** A field a form may send under another name (`url` for `urls`), read when the field itself is absent. */
  aliases?: Record<string, string>;
}

/** A file as read: streamed, and also its bytes when a form part held it in memory. */
export type UploadedFile = IncomingFile & { bytes?: Uint8Array };

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;
const URLENCODED = 'application/x-www-form-urlencoded';

const mediaTypeOf = (header: string | undefined) => (header ?? '').split(';')[0]!.trim().toLowerCase();

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** A field's value from the texts it was given (one or more, in a form or the query). */
function valueOf(values: string[] | undefined, kind: FormField, name: string): unknown {
  if (!values || values.length === 0) return undefined;
  if (kind === 'text') return values.length === 1 ? values[0] : values;
  if (kind === 'json') return values.length === 1 ? parseJsonText(values[0]!, name) : values;
  return values.length === 1 && values[0]!.trimStart().startsWith('[') ? parseJsonText(values[0]!, name) : values;
}

function accepted(spec: UploadSpec<z.ZodTypeAny>): string[] {
  const raw = spec.file?.raw;
  return [
    spec.file ? `multipart/form-data with a \`${spec.file.part}\` part` : 'multipart/form-data',
    ...(spec.json ? ['application/json'] : []),
    ...(spec.urlencoded ? ['application/x-www-form-urlencoded'] : []),
    ...(raw === 'any' ? ['the file itself as the body'] : raw ? raw : []),
  ];
}

function fileName(c: Context): string {
  const header = c.req.header('X-File-Name');
  if (!header) return c.req.query('name') ?? '';
  try {
    return decodeURIComponent(header);
  } catch {
    throw problems.invalid([{ path: 'X-File-Name', message: 'URL-encode the file name.' }]);
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** A JSON body: as the route's validator parsed it (hono caches the body), or, on GET, read here up to the JSON limit (none: undefined). */
async function jsonBody(c: Context): Promise<unknown> {
  let text: string;
  try {
    if (!SAFE_METHODS.has(c.req.method)) return await c.req.json();
    const stream = c.req.raw.body;
    if (!stream) return undefined;
    const length = c.req.header('Content-Length');
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(await readBounded(stream, length ? Number(length) : null, settings(c.env).jsonMaxBytes));
  } catch (error) {
    if (error instanceof Problem) throw error;
    throw problems.malformed('The body is not valid JSON.');
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw problems.malformed('The body is not valid JSON.');
  }
}

export async function readUpload<S extends z.ZodTypeAny>(c: Context, spec: UploadSpec<S>): Promise<{ input: z.infer<S>; file: UploadedFile | null }> {
  const contentType = c.req.header('Content-Type');
  const type = mediaTypeOf(contentType);
  const raw = spec.file?.raw;
  let form: Record<string, string[]> | undefined;
  let body: unknown;
  let file: UploadedFile | null = null;

  if (isMultipart(type)) {
    // A form without a file takes no large part: a stray file part there is held to the limit of a text field.
    const parsed = await readMultipart(c.req.raw, spec.file ? (spec.file.maxPartBytes ?? MULTIPART_FILE_MAX_BYTES) : JSON_LIMITS.fieldBytes);
    form = parsed.fields;
    const part = spec.file ? parsed.files[spec.file.part] : undefined;
    if (part) file = { filename: part.filename, declaredType: part.mediaType, stream: bytesStream(part.bytes), length: part.bytes.byteLength, bytes: part.bytes, field: spec.file!.part };
  } else if (spec.json && JSON_TYPE.test(type)) {
    body = await jsonBody(c);
  } else if (spec.urlencoded && type === URLENCODED) {
    form = {};
    for (const [k, v] of new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()))) (form[k] ??= []).push(v);
    // A urlencoded form is never a file: a route that takes no form answers it 415.
  } else if (raw && c.req.raw.body && type !== URLENCODED && (raw === 'any' || type === '' || raw.includes(type))) {
    const length = c.req.header('Content-Length');
    file = { filename: fileName(c), declaredType: contentType || 'application/octet-stream', stream: c.req.raw.body, length: length ? Number(length) : null, field: spec.file!.part };
  } else if (type !== '' && c.req.raw.body) {
    throw problems.unsupportedMediaType(accepted(spec));
  }

  const safe = SAFE_METHODS.has(c.req.method);
  const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
  const input: Record<string, unknown> = isObject ? { ...(body as object) } : {};
  const errors: FieldError[] = [];
  for (const [name, kind] of Object.entries(spec.fields)) {
    const alias = spec.aliases?.[name];
    const sent = form ? valueOf(form[name] ?? (alias ? form[alias] : undefined), kind, name) : input[name];
    const queried = valueOf(c.req.queries(name), kind, name);
    if (sent !== undefined && queried !== undefined && !safe) errors.push({ path: name, message: 'Given in the body and in the query: send it once.' });
    else if (queried !== undefined) input[name] = queried;
    else if (sent !== undefined) input[name] = sent;
  }
  const names = spec.file?.names;
  if (names && input[names] === undefined && file?.filename) input[names] = file.filename;

  const candidate = body !== undefined && !isObject ? body : input;
  const parsed = spec.schema.safeParse(candidate);
  if (!parsed.success) errors.push(...fieldErrors(parsed.error, 'body', candidate));
  if (spec.file?.required && !file) {
    const part = spec.file.part;
    errors.push({ path: part, message: spec.file.missing ?? `Required: a \`${part}\` part${raw ? ', or the file itself as the body' : ''}.` });
  }
  if (errors.length) throw problems.invalid(errors, 'The request body is not valid.', 'body');
  return { input: parsed.data as z.infer<S>, file };
}

/** A file that replaces another's (PUT …/file): the form's `file` part or the body itself, nothing else. */
export const REPLACEMENT: UploadSpec<z.ZodObject<{}>> = {
  fields: {},
  schema: z.object({}),
  file: { part: 'file', required: true, raw: 'any', missing: 'Required: the file.' },
};

/** The bytes of a small file (a logo): the form part's, or the raw body read up to `max` (413 beyond). */
export async function fileBytes(file: UploadedFile, max: number): Promise<Uint8Array> {
  return file.bytes ?? readBounded(file.stream, file.length, max);
}

/** A text field of an upload form: `maxLength` as the route's schema checks it. */
export interface FormTextProperty {
  type: 'string';
  maxLength: number;
  description?: string;
  /** application/json for a field of JSON text. */
  contentMediaType?: string;
}

/** OpenAPI body of an upload route: the multipart form with `properties`, or any raw body. */
export function uploadBody(properties: Record<string, FormTextProperty>, required: string[] = []) {
  return {
    required: true,
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object' as const,
          required: ['file', ...required],
          properties: { ...properties, file: binary(`At most ${MULTIPART_FILE_MAX_BYTES} bytes in this form. ${TYPE_CHECKED}`) },
        },
      },
      'application/octet-stream': {
        schema: binary(
          `Or any media type: the file itself, streamed; name in X-File-Name or ?name=. At most the deployment’s upload limit (413 above it). ${TYPE_CHECKED}`,
        ),
      },
    },
  };
}
