/**
 * fast-check arbitraries from the JSON Schemas of the emitted OpenAPI document: values that follow
 * a schema, and the hostile inputs a public API receives (wrong types, missing and extra fields,
 * huge and odd strings, numbers out of range, SQL and path-traversal text, malformed bodies).
 */
import fc from 'fast-check';
import type { Schema } from './openapi-doc';

/** Strings that have broken APIs before: injection, traversal, FTS syntax, encodings, odd Unicode. */
export const NASTY_STRINGS = [
  "' OR '1'='1",
  "'; DROP TABLE projects; --",
  '" OR 1=1 --',
  '1) UNION SELECT password_hash, token_hash FROM users, tokens --',
  '%',
  '_',
  '\\',
  '../../../../etc/passwd',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '..\\..\\windows\\win.ini',
  'evidence.png%00.exe',
  '/',
  '.',
  '..',
  '\u0000',
  'a\u0000b',
  '\u202egnp.exe',
  '\ud800',
  '\udfff\ud800',
  'e\u0301\u0301\u0301',
  '😀'.repeat(40),
  '\ufeff',
  '<script>alert(1)</script>',
  '${7*7}{{7*7}}',
  '"',
  '"unterminated',
  'NEAR(a b)',
  'a* OR b* NOT c',
  '*',
  '^',
  '-',
  'NULL',
  'null',
  'undefined',
  'true',
  '-1',
  '0',
  '1e309',
  '0x7fffffff',
  'NaN',
  ' ',
  '',
  '\t\r\n',
  'A'.repeat(3000),
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 24 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }), weight: 1 },
);

/** Numbers that cross a boundary: sign, 32 and 53 bits, floats where integers go, the largest double. */
export const edgeNumber = fc.constantFrom(-1, 0, -0.5, 0.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e308, 1e-320);

/** Any JSON value, small: what a wrong-typed field gets instead of its own type. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  edgeNumber,
  nastyString,
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.integer(), { maxKeys: 3 }),
);

export type Hints = Record<string, fc.Arbitrary<unknown>>;

export interface SchemaContext {
  resolve(schema: Schema): Schema;
  /** Values that make a request meaningful here (ids of the world), by property or parameter name. */
  hints: Hints;
  /** Values a property always takes: states that would close the world to the requests after it. */
  pins?: Hints;
}

const LONGEST = 40;

/** A value that follows `schema` (mostly: patterns and formats are followed, cross-field rules are not). */
export function valueOf(raw: Schema, ctx: SchemaContext, name?: string, depth = 0): fc.Arbitrary<unknown> {
  const pin = name ? ctx.pins?.[name] : undefined;
  if (pin) return pin;
  const own = schemaValue(ctx.resolve(raw ?? {}), ctx, depth);
  const hint = name ? ctx.hints[name] : undefined;
  return hint ? fc.oneof({ arbitrary: hint, weight: 4 }, { arbitrary: own, weight: 1 }) : own;
}

function schemaValue(s: Schema, ctx: SchemaContext, depth: number): fc.Arbitrary<unknown> {
  if ('const' in s) return fc.constant(s.const);
  // "Exactly one of these fields" (oneOf branches that each only require one): pick the branch,
  // require its field and leave the others out.
  const branches = s.properties && Array.isArray(s.oneOf) && s.oneOf.every((b: Schema) => Array.isArray(b.required) && Object.keys(b).length === 1) ? (s.oneOf as { required: string[] }[]) : null;
  if (branches) {
    const all = new Set(branches.flatMap((b) => b.required));
    return fc.constantFrom(...branches.map((b) => b.required)).chain((chosen) => {
      const properties = Object.fromEntries(Object.entries(s.properties as Record<string, Schema>).filter(([k]) => !all.has(k) || chosen.includes(k)));
      return objectOf({ ...s, oneOf: undefined, properties, required: [...(s.required ?? []), ...chosen] }, ctx, depth);
    });
  }
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (Array.isArray(alternatives)) return fc.oneof(...alternatives.map((a: Schema) => valueOf(a, ctx, undefined, depth)));
  if (Array.isArray(s.allOf)) return valueOf(Object.assign({}, ...s.allOf.map((a: Schema) => ctx.resolve(a))), ctx, undefined, depth);
  if (Array.isArray(s.type)) return fc.oneof(...s.type.map((t: string) => schemaValue({ ...s, type: t }, ctx, depth)));
  switch (s.type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1_000_000);
      const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : Math.max(min, 0) + 1_000_000);
      return fc.integer({ min: Math.max(min, Number.MIN_SAFE_INTEGER), max: Math.min(max, Number.MAX_SAFE_INTEGER) });
    }
    case 'number':
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'string':
      return stringOf(s);
    case 'array': {
      if (depth > 3) return fc.constant([]);
      const item = valueOf(s.items ?? {}, ctx, undefined, depth + 1);
      const constraints = { minLength: s.minItems ?? 0, maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 3, 3)) };
      return s.uniqueItems ? fc.uniqueArray(item, { ...constraints, selector: (v) => JSON.stringify(v) }) : fc.array(item, constraints);
    }
    case 'object':
    default:
      if (s.type === undefined && !s.properties) return fc.jsonValue({ maxDepth: 2 });
      return objectOf(s, ctx, depth);
  }
}

function stringOf(s: Schema): fc.Arbitrary<string> {
  const minLength = s.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(s.maxLength ?? LONGEST, LONGEST));
  switch (s.format) {
    case 'date-time':
      return fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
    case 'date':
      return fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    case 'email':
      // Mostly plain addresses (servers take a narrower form than RFC 5322), some of every shape.
      return fc.oneof(
        { arbitrary: fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,11}$/), fc.constantFrom('example.test', 'example.org')).map(([a, b]) => `${a}@${b}`), weight: 4 },
        { arbitrary: fc.emailAddress().filter((e) => e.length <= (s.maxLength ?? 254)), weight: 1 },
      );
    case 'uri':
    case 'url':
      return fc.webUrl();
    case 'binary':
      return fc.string({ maxLength });
  }
  if (typeof s.pattern === 'string') {
    return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length >= minLength && v.length <= (s.maxLength ?? 10_000));
  }
  return fc.string({ unit: 'grapheme', minLength, maxLength });
}

function objectOf(s: Schema, ctx: SchemaContext, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const properties = (s.properties ?? {}) as Record<string, Schema>;
  if (Object.keys(properties).length === 0) {
    return depth > 2 ? fc.constant({}) : fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
  }
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, prop] of Object.entries(properties)) model[key] = valueOf(prop, ctx, key, depth + 1);
  return fc.record(model, { requiredKeys: ((s.required ?? []) as string[]).filter((k) => k in model) });
}

/** One hostile change to a JSON object that follows its schema, with a label for the report. */
export function mutateObject(s: Schema, valid: fc.Arbitrary<unknown>): fc.Arbitrary<{ label: string; json?: unknown; raw?: string }> {
  const keys = Object.keys(s.properties ?? {});
  const required = (s.required ?? []) as string[];
  const strings = keys.filter((k) => JSON.stringify(s.properties[k]).includes('"string"'));
  const numbers = keys.filter((k) => /"(integer|number)"/.test(JSON.stringify(s.properties[k])));
  const withKey = (pool: string[], value: fc.Arbitrary<unknown>, label: string) =>
    pool.length === 0
      ? []
      : [fc.tuple(valid, fc.constantFrom(...pool), value).map(([v, k, x]) => ({ label: `${label} ${k}`, json: { ...(v as object), [k]: x } }))];
  const options: fc.Arbitrary<{ label: string; json?: unknown; raw?: string }>[] = [
    ...withKey(keys, anyJson, 'wrong type for'),
    ...withKey(strings, nastyString, 'odd string in'),
    ...withKey(strings, fc.constantFrom(1_000, 20_000, 70_000).map((n) => 'x'.repeat(n)), 'huge string in'),
    ...withKey(numbers, edgeNumber, 'number out of range in'),
    ...(required.length
      ? [fc.tuple(valid, fc.constantFrom(...required)).map(([v, k]) => {
          const { [k]: _dropped, ...rest } = v as Record<string, unknown>;
          return { label: `missing required ${k}`, json: rest };
        })]
      : []),
    fc.tuple(valid, fc.constantFrom('id', 'is_superuser', 'organization_id', 'created_at', 'password_hash', 'zz_unknown')).map(([v, k]) => ({
      label: `extra field ${k}`,
      json: { ...(v as object), [k]: true },
    })),
    // A literal __proto__ key survives JSON.parse as an own property: prototype pollution bait.
    valid.map((v) => ({ label: 'extra field __proto__', raw: JSON.stringify(v).replace(/^\{/, '{"__proto__":{"is_superuser":true},').replace(',}', '}') })),
    fc.constantFrom<unknown>([], 'a string', 42, null, true, [{}]).map((json) => ({ label: 'not an object', json })),
    fc.constantFrom(...MALFORMED_JSON).map((raw) => ({ label: 'malformed JSON', raw })),
  ];
  return fc.oneof(...options);
}

export const MALFORMED_JSON = [
  '',
  '{',
  '{"name":',
  '{"name": "a",}',
  '[1,',
  '{"a":1}}',
  "{'name': 'single quotes'}",
  'nul',
  '\u0000',
  '{"name":"\\ud800"}',
  '{"name":"\\u0000"}',
  '{"name": NaN}',
  '{"name": 1e999}',
  '\ufeff{"name":"bom"}',
  '['.repeat(5000) + ']'.repeat(5000),
  `{"a":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`,
];

/**
 * JSON text nested past the limit of src/http/json-limits.ts (32 levels), from just past it to the
 * depth that once stored a row no list could serialize (8,000): objects, arrays, or both mixed.
 */
export const deepJsonText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(33, 40, 1000, 8000), fc.constantFrom('object', 'array', 'mixed'))
  .map(([levels, shape]) => {
    const open = (i: number) => (shape === 'object' || (shape === 'mixed' && i % 2 === 0) ? '{"a":' : '[');
    const close = (i: number) => (open(i) === '[' ? ']' : '}');
    const idx = Array.from({ length: levels - 1 }, (_, i) => i);
    return idx.map(open).join('') + '{}' + idx.reverse().map(close).join('');
  });

/** Content types a JSON route must refuse (or a file route must not be confused by). */
export const WRONG_CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'application/json; charset=utf-16',
  'application/jsonp',
  '*/*',
  'image/png',
];

/** Bodies that claim to be multipart and are not quite. */
export const MALFORMED_MULTIPART: { type: string; body: string }[] = [
  { type: 'multipart/form-data; boundary=XYZ', body: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nno closing boundary' },
  { type: 'multipart/form-data; boundary=XYZ', body: '--ABC\r\nContent-Disposition: form-data; name="name"\r\n\r\nwrong boundary\r\n--ABC--\r\n' },
  { type: 'multipart/form-data; boundary=XYZ', body: '' },
  { type: 'multipart/form-data; boundary=XYZ', body: '--XYZ--\r\n' },
  { type: 'multipart/form-data; boundary=XYZ', body: '--XYZ\r\nno headers at all\r\n--XYZ--\r\n' },
  { type: 'multipart/form-data; boundary=XYZ', body: '--XYZ\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--XYZ--\r\n' },
  { type: 'multipart/form-data; boundary=XYZ', body: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="../../etc/passwd"\r\nContent-Type: text/plain\r\n\r\nroot:x:0:0\r\n--XYZ--\r\n' },
  { type: 'multipart/form-data', body: '--XYZ\r\nContent-Disposition: form-data; name="name"\r\n\r\nno boundary parameter\r\n--XYZ--\r\n' },
  { type: `multipart/form-data; boundary=${'B'.repeat(200)}`, body: `--${'B'.repeat(200)}--\r\n` },
];
