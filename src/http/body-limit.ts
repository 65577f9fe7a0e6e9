/**
 * One body limit for the whole API: file uploads (multipart or a raw file body) may reach
 * UPLOAD_MAX_BYTES, everything else JSON_MAX_BYTES. Declared Content-Length is checked up front;
 * a chunked body is counted as it streams.
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

export const limitBody = createMiddleware<AppEnv>(async (c, next) => {
  const method = c.req.method;
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
  const s = settings(c.env);
  const maxSize = isUpload(c.req.header('Content-Type')) ? s.uploadMaxBytes : s.jsonMaxBytes;
  return bodyLimit({
    maxSize,
    onError: () => {
      throw problems.tooLarge(maxSize);
    },
  })(c, next);
});
