/**
 * One body limit for the whole API: file uploads (multipart or a raw file body) may reach
 * UPLOAD_MAX_BYTES, everything else JSON_MAX_BYTES. A declared Content-Length over the limit is
 * refused before anything is read. A chunked upload is counted as it streams and fails with 413
 * when it crosses the limit: it is never collected in memory (hono's bodyLimit would collect a
 * body without Content-Length, which a 90 MB upload cannot afford under the 128 MB isolate).
 */
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { settings } from '../env';
import type { AppEnv } from './context';
import { problems } from './problem';

function isUpload(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'multipart/form-data' || !(type.endsWith('/json') || type.endsWith('+json') || type === 'application/x-www-form-urlencoded');
}

function countedStream(body: ReadableStream<Uint8Array>, maxSize: number): ReadableStream<Uint8Array> {
  let size = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > maxSize) controller.error(problems.tooLarge(maxSize));
        else controller.enqueue(chunk);
      },
    }),
  );
}

export const limitBody = createMiddleware<AppEnv>(async (c, next) => {
  const method = c.req.method;
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
  const s = settings(c.env);
  const upload = isUpload(c.req.header('Content-Type'));
  const maxSize = upload ? s.uploadMaxBytes : s.jsonMaxBytes;
  if (upload && c.req.header('Content-Length') === undefined && c.req.raw.body) {
    c.req.raw = new Request(c.req.raw, { body: countedStream(c.req.raw.body, maxSize) });
    return next();
  }
  return bodyLimit({
    maxSize,
    onError: () => {
      throw problems.tooLarge(maxSize);
    },
  })(c, next);
});
