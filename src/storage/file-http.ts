/**
 * The HTTP side of file uploads. Two forms:
 * - multipart/form-data with a `file` part and metadata fields, as the seeds send files; the
 *   parser holds a part in memory, so this form takes files up to MULTIPART_FILE_MAX_BYTES;
 * - the file itself as the body (any Content-Type), its name in `X-File-Name` (URL-encoded) or
 *   `?name=`, metadata in the query: streamed to R2, up to UPLOAD_MAX_BYTES.
 */
import type { Context } from 'hono';
import type { FormField } from '../http/forms';
import { parseJsonText } from '../http/json-limits';
import { binary } from '../http/openapi';
import { formValue, isMultipart, readMultipart } from '../http/multipart';
import { problems } from '../http/problem';
import { TYPE_CHECKED, type IncomingFile } from './uploads';

export const MULTIPART_FILE_MAX_BYTES = 25 * 1024 * 1024;

export interface FileUpload {
  file: IncomingFile | null;
  fields: Record<string, unknown>;
}

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** With a raw body the query carries the form's fields, JSON text under the same limits as in a form. */
function queryFields(c: Context, fields: Record<string, FormField>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(c.req.query())
      .filter(([k]) => k in fields)
      .map(([k, v]) => [k, fields[k] === 'json' ? parseJsonText(v, k) : v]),
  );
}

export async function readFileUpload(c: Context, fields: Record<string, FormField>, maxBytes: number): Promise<FileUpload> {
  const contentType = c.req.header('Content-Type') ?? '';
  if (isMultipart(contentType)) {
    const form = await readMultipart(c.req.raw, Math.min(maxBytes, MULTIPART_FILE_MAX_BYTES));
    const values: Record<string, unknown> = {};
    for (const [name, kind] of Object.entries(fields)) {
      const value = formValue(form, name, kind === 'text' ? 'text' : 'json');
      if (value !== undefined) values[name] = value;
    }
    const part = form.files.file;
    const file = part
      ? { filename: part.filename, declaredType: part.mediaType, stream: bytesStream(part.bytes), length: part.bytes.byteLength }
      : null;
    return { file, fields: values };
  }
  if (!c.req.raw.body) return { file: null, fields: queryFields(c, fields) };
  const header = c.req.header('X-File-Name');
  let filename = c.req.query('name') ?? '';
  if (header) {
    try {
      filename = decodeURIComponent(header);
    } catch {
      throw problems.invalid([{ path: 'X-File-Name', message: 'URL-encode the file name.' }]);
    }
  }
  const length = c.req.header('Content-Length');
  const query = queryFields(c, fields);
  return {
    file: { filename, declaredType: contentType || 'application/octet-stream', stream: c.req.raw.body, length: length ? Number(length) : null },
    fields: { ...query, ...(filename ? { name: query.name ?? filename } : {}) },
  };
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
