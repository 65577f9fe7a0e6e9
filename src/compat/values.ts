/**
 * Translation helpers every dialect may use: integer ids in paths and bodies, times, decimal
 * coordinates. Request schemas here check what they accept as strictly as /v1's do.
 */
import { z } from '@hono/zod-openapi';

/** Entity numbers are positive integers JavaScript holds exactly. */
const NUMBER_MAX = Number.MAX_SAFE_INTEGER;

/**
 * An integer id in a path (`/companies/{id}`): an entity's number (src/db/numbers.ts). Anything
 * else fails validation; a dialect may answer that as a missing entity (DRF does: 404).
 */
export const numberParam = (name: string, description: string) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'Not an id.')
    .transform(Number)
    .refine((n) => n <= NUMBER_MAX, 'Not an id.')
    .openapi({ param: { name, in: 'path' }, type: 'integer', format: 'int64', minimum: 1, maximum: NUMBER_MAX, description, example: 42 });

/** An integer id in a body or an answer. */
export const NUMBER_ID = z.number().int().min(1).max(NUMBER_MAX).openapi({ format: 'int64', example: 42 });

/** A time as RFC 3339 UTC with `Z` (DRF's, Cadasta's). The app's times already are; other ISO texts are normalised. */
export const zTime = <T extends string | null>(iso: T): T => (iso === null ? iso : (new Date(iso).toISOString() as T));
export const Z_TIME = z.string().datetime().max(30).openapi({ example: '2020-12-15T09:57:19.585Z' });

/** A date as `MM/DD/YYYY` (TransAM's in_service_date) from an ISO date or time. */
export function usDate(iso: string | null): string | null {
  if (iso === null) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  return m ? `${m[2]}/${m[3]}/${m[1]}` : null;
}

/** A coordinate as a decimal string with six places (DRF's DecimalField, seed 000's `"52.372760"`), or null. */
export function decimal6(value: number | string | null): string | null {
  if (value === null) return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n.toFixed(6) : null;
}
export const DECIMAL6 = z
  .string()
  .max(12)
  .regex(/^-?[0-9]{1,3}\.[0-9]{6}$/)
  .nullable()
  .openapi({ example: '52.372760', description: 'Degrees as a decimal string with six places, or null.' });

/** A coordinate in a body as a seed sends it: a number or a decimal string (`"4.893604"`), or null. */
export const decimalInput = (min: number, max: number) =>
  z
    .union([z.number(), z.string().trim().max(32).regex(/^-?[0-9]+(\.[0-9]+)?$/, 'A decimal number.').transform(Number)])
    .pipe(z.number().min(min).max(max))
    .nullable();

/** An integer id in a body as a seed sends it: a number, or its digits as text (a form field). */
export const numberInput = () =>
  z
    .union([NUMBER_ID, z.string().trim().regex(/^[1-9][0-9]{0,15}$/, 'Not an id.').transform(Number).pipe(NUMBER_ID)], { error: 'An integer id.' })
    .openapi({ type: ['integer', 'string'], format: 'int64', minimum: 1, maximum: NUMBER_MAX, maxLength: 16, example: 42 });
