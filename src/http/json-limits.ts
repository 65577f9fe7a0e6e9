/**
 * The limits on JSON that a client sends, defined once for every way in: a JSON body, JSON text in
 * a multipart field, JSON text in a query value. Parsing is safe at any depth (V8's JSON.parse does
 * not recurse) but serializing is not: JSON.stringify recurses, so a value nested thousands deep
 * that gets stored answers 500 wherever it is read back, lists included (issue 10). So the depth is
 * refused at the door, before anything is stored, and JSON read back from D1 is clamped to it as
 * well, for rows stored before the limit existed.
 */
import { z } from '@hono/zod-openapi';
import { problems } from './problem';

export const JSON_LIMITS = {
  /** Levels of nesting in a field's value: `{}` and `[1]` are 1, `{"a":[1]}` is 2. */
  depth: 32,
  /** A free-form object (`attributes`): bytes of UTF-8 in its compact JSON. */
  objectBytes: 16 * 1024,
  /** Any other JSON-valued field (`contacts`), and JSON text as sent in a form field or a query value. */
  fieldBytes: 64 * 1024,
} as const;

export const TOO_DEEP = `Nested more than ${JSON_LIMITS.depth} levels deep.`;

/** Whether `value` nests deeper than `max`; iterative, so any depth is safe to ask about. */
export function nestsDeeper(value: unknown, max: number = JSON_LIMITS.depth): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** What is wrong with a JSON value under these limits, or null. The depth is checked first: only then is stringifying it safe. */
export function jsonFault(value: unknown, maxBytes: number): string | null {
  if (nestsDeeper(value)) return TOO_DEEP;
  if (new TextEncoder().encode(JSON.stringify(value)).byteLength > maxBytes) return `At most ${maxBytes} bytes of JSON.`;
  return null;
}

/** A zod check holding a JSON-valued field to the limits: `.superRefine(withinJsonLimits(bytes))`. */
export const withinJsonLimits =
  (maxBytes: number = JSON_LIMITS.fieldBytes) =>
  (value: unknown, ctx: z.RefinementCtx) => {
    const fault = jsonFault(value, maxBytes);
    if (fault) ctx.addIssue({ code: 'custom', message: fault });
  };

/** A free-form JSON object field, such as `attributes`: the one schema every such field uses. */
export const freeJsonObject = () =>
  z
    .record(z.string().max(100), z.unknown())
    .superRefine(withinJsonLimits(JSON_LIMITS.objectBytes))
    .openapi({
      type: 'object',
      additionalProperties: true,
      description: `Free JSON object: keys of at most 100 characters, at most ${JSON_LIMITS.objectBytes} bytes of JSON, nested at most ${JSON_LIMITS.depth} levels.`,
    });

/**
 * JSON text from a form field or a query value, parsed and held to the size and depth limits before
 * any schema sees it (400 naming `path`).
 */
export function parseJsonText(text: string, path: string): unknown {
  if (new TextEncoder().encode(text).byteLength > JSON_LIMITS.fieldBytes) {
    throw problems.invalid([{ path, message: `At most ${JSON_LIMITS.fieldBytes} bytes of JSON text.` }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw problems.invalid([{ path, message: 'Send JSON text in this field.' }]);
  }
  if (nestsDeeper(value)) throw problems.invalid([{ path, message: TOO_DEEP }]);
  return value;
}

/**
 * JSON read back from storage, with anything below the depth limit replaced by null: a row stored
 * before the limit must not break every answer that holds it. Recursion stops at the limit.
 */
export function clampJson<T>(value: T, max: number = JSON_LIMITS.depth): T {
  if (!nestsDeeper(value, max)) return value;
  const clamp = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (depth > max) return null;
    if (Array.isArray(v)) return v.map((x) => clamp(x, depth + 1));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clamp(x, depth + 1)]));
  };
  return clamp(value, 1) as T;
}

/** A multipart field that carries JSON text, as the document declares it (with its limits, where clients look). */
export const jsonTextField = (description: string) => ({
  type: 'string' as const,
  contentMediaType: 'application/json',
  maxLength: JSON_LIMITS.fieldBytes,
  description: `${description} At most ${JSON_LIMITS.fieldBytes} bytes of JSON text, nested at most ${JSON_LIMITS.depth} levels.`,
});
