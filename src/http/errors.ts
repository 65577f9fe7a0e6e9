/**
 * The app's last word on every failure: problems render as problem+json, framework errors are
 * mapped to theirs, and anything unexpected is logged with the request id and answered as an
 * opaque 500 (no stack, no SQL).
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { messages } from '../db/errors';
import type { AppEnv } from './context';
import { Problem, problemResponse, problems } from './problem';

export function onError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof Problem) return problemResponse(c, error);
  if (error instanceof HTTPException) {
    const status = error.status;
    if (status === 400) return problemResponse(c, problems.malformed(error.message || 'The body is not valid JSON.'));
    if (status === 413) return problemResponse(c, problems.tooLarge());
    if (status === 415) return problemResponse(c, problems.unsupportedMediaType(['the declared content type']));
    if (status === 401) return problemResponse(c, problems.unauthenticated());
    return problemResponse(c, new Problem(status, 'http-error', error.message || 'Error', error.message));
  }
  // The whole cause chain (D1's reason sits under drizzle's "Failed query"), without the bound
  // parameters, which hold users' data and hashes.
  const reason = messages(error).replace(/\nparams: [^|]*/g, '');
  const frames = (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at '));
  console.error(JSON.stringify({ level: 'error', request_id: c.get('requestId'), error: reason, stack: frames.join('\n') }));
  return problemResponse(c, problems.internal());
}
