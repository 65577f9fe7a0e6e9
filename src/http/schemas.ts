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

/*
 * Response fields, bounded where the server bounds them (OWASP API4: the document says how large
 * an answer can be). A limit here is a fact about what the server sends, never a guess.
 */

/** A count or a size in bytes: an integer JavaScript holds exactly (int64, 0 to 2^53 − 1). */
export const COUNT = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).openapi({ format: 'int64' });

/** An id as answers carry it: a TypeID (`prj_` and 26 characters), at most 64 as request bodies take ids. */
export const ID = z.string().max(64);

/**
 * An entity's number (src/db/numbers.ts): a positive integer, stable, unique per kind and never
 * reused, as the seed dialects address things; `/v1` addresses by `id`.
 */
export const ENTITY_NUMBER = z
  .number()
  .int()
  .min(1)
  .max(Number.MAX_SAFE_INTEGER)
  .openapi({ format: 'int64', example: 42, description: 'A stable integer, unique among entities of this kind and never reused; the seed dialects address the entity by it.' });

/** A timestamp as answers carry it: RFC 3339 UTC with milliseconds (24 characters). */
export const TIMESTAMP = z.string().datetime().max(30);

/** A hex SHA-256 of a stored file. */
export const SHA256 = z.string().length(64).regex(/^[0-9a-f]{64}$/);

/** A path of this API that the server builds from ids and slugs (links to downloads, logos, members). */
export const API_PATH = z.string().max(200).regex(/^\/v1\//);

/** Integers are int32 here: a page or an offset past 2^31 − 1 rows is no list this API holds. */
export const INT32_MAX = 2_147_483_647;

/**
 * An optional integer query parameter. The type is stated for the document: a coerced number
 * would be emitted as integer-or-null (null coerces to 0), and a query string holds no null.
 */
export const queryInt = (min: number, max = INT32_MAX) =>
  z.coerce.number().int().min(min).max(max).optional().openapi({ type: 'integer', format: 'int32', minimum: min, maximum: max });

/**
 * "Send exactly one of these fields" in the document: the zod refine that enforces it is invisible
 * to the generator. Each branch requires one of them, and oneOf lets only one branch hold.
 */
export const exactlyOneOf = (...fields: string[]) => ({ oneOf: fields.map((field) => ({ required: [field] })) });
