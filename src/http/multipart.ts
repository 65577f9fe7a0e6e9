/**
 * multipart/form-data through a streaming parser with limits: a part over its limit is refused
 * (413) as soon as it crosses the limit, without reading the rest of the body.
 */
import {
  MaxFileSizeExceededError,
  MaxPartsExceededError,
  MaxTotalSizeExceededError,
  MultipartParseError,
  getMultipartBoundary,
  parseMultipartStream,
} from '@remix-run/multipart-parser';
import { Problem, problems } from './problem';

export interface UploadedFile {
  filename: string;
  mediaType: string;
  bytes: Uint8Array;
}

export interface MultipartForm {
  fields: Record<string, string[]>;
  files: Record<string, UploadedFile>;
}

export function isMultipart(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'multipart/form-data';
}

/**
 * The body, passed through, noting whether reading it failed: that is the client's connection
 * breaking (400), where every other failure of the parser is ours. The body limit's own 413 is a
 * Problem and passes as it is.
 */
function watched(body: ReadableStream<Uint8Array>): { stream: ReadableStream<Uint8Array>; broke: () => boolean } {
  let broke = false;
  const reader = body.getReader();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await reader.read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (error) {
        if (!(error instanceof Problem)) broke = true;
        controller.error(error);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { stream, broke: () => broke };
}

export async function readMultipart(request: Request, maxFileSize: number): Promise<MultipartForm> {
  const form: MultipartForm = { fields: {}, files: {} };
  const boundary = getMultipartBoundary(request.headers.get('Content-Type') ?? '');
  if (!boundary) throw problems.malformed('The multipart body cannot be read: the Content-Type names no boundary.');
  if (!request.body) throw problems.malformed('The multipart body cannot be read: there is no body.');
  const body = watched(request.body);
  try {
    for await (const part of parseMultipartStream(body.stream, { boundary, maxFileSize, maxParts: 50, maxTotalSize: maxFileSize + 1024 * 1024 })) {
      const name = part.name;
      if (!name) continue;
      if (part.isFile) {
        if (form.files[name]) throw problems.invalid([{ path: name, message: 'Send one file per field.' }]);
        form.files[name] = { filename: part.filename ?? name, mediaType: part.mediaType ?? 'application/octet-stream', bytes: part.bytes };
      } else {
        (form.fields[name] ??= []).push(textOf(part.bytes, name));
      }
    }
  } catch (error) {
    if (body.broke()) throw problems.malformed('The body broke off before the end of the form.');
    if (error instanceof MaxFileSizeExceededError || error instanceof MaxTotalSizeExceededError) throw problems.tooLarge(maxFileSize);
    if (error instanceof MaxPartsExceededError) throw problems.invalid([{ path: '(body)', message: 'Too many parts.' }]);
    if (error instanceof MultipartParseError) throw problems.malformed(`The multipart body cannot be read: ${error.message}`);
    // The parser decodes a part's headers as UTF-8 (fatal) when its name is first asked for.
    if (error instanceof TypeError && /decode/i.test(error.message)) throw problems.malformed('The multipart body cannot be read: a part’s headers are not UTF-8.');
    throw error;
  }
  return form;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** A text field's value: bytes that are not UTF-8 are the client's mistake (400), not a failure. */
function textOf(bytes: Uint8Array, name: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw problems.invalid([{ path: name, message: 'Send text in UTF-8.' }]);
  }
}

/** A body read up to `max` bytes (413 beyond, or at once when its declared length is over). For small files only: large ones stream. */
export async function readBounded(body: ReadableStream<Uint8Array>, declared: number | null, max: number): Promise<Uint8Array> {
  if (declared !== null && declared > max) {
    await body.cancel().catch(() => undefined);
    throw problems.tooLarge(max);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw problems.tooLarge(max);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
