/**
 * Seed 001's filter document (`POST /v1/projects/list`), read into the project service's filter
 * (src/projects/filter.ts): fields renamed to the service's, values to its kinds. Every fault is a
 * 400 naming its JSON path (`expressions[0].field`). The schema nests a fixed number of levels
 * (built level by level, not recursively), so a document nested deeper is refused where the
 * depth runs out, without parsing further down.
 */
import { z } from '@hono/zod-openapi';
import { PROJECT_LIMITS } from '../../projects/schemas';
import { FILTER_BOUNDS, type ProjectCondition, type ProjectField, type ProjectFilter } from '../../projects/filter';
import { DRF } from '../drf';
import { NUMBER_ID } from '../values';

export const FIELDS = ['pk', 'name', 'team', 'creator', 'creation_time', 'deletion_time'] as const;
type Field = (typeof FIELDS)[number];

const SERVICE_FIELD: Record<Field, ProjectField> = {
  pk: 'number',
  name: 'name',
  team: 'organization',
  creator: 'creator',
  creation_time: 'created_at',
  deletion_time: 'deleted_at',
};

const quoted = (v: unknown) => (typeof v === 'string' ? `"${v.slice(0, 50)}"` : JSON.stringify(v)?.slice(0, 50) ?? String(v));

const FIELD = z
  .enum(FIELDS, { error: (iss) => `Unknown field ${quoted(iss.input)}.` })
  .openapi({ description: `One of: ${FIELDS.join(', ')}.` });

const TYPES = ['exact', 'contains', 'isnull', 'and', 'or'];
const CASE_INSENSITIVE = z.boolean().optional().openapi({ description: 'Compare ignoring ASCII case (name only). Default false.' });
const TIME = z.iso.datetime({ offset: true });

/** The value an exact match on `field` takes, or the fault. */
function exactValue(field: Field, value: unknown): { value: string | number | null } | { fault: string } {
  if (value === undefined) return { fault: DRF.required };
  if (value === null) return { value: null };
  switch (field) {
    case 'pk':
    case 'team':
    case 'creator':
      return NUMBER_ID.safeParse(value).success ? { value: value as number } : { fault: 'An integer id.' };
    case 'name':
      return typeof value === 'string' && value.length <= PROJECT_LIMITS.name ? { value } : { fault: `A string of at most ${PROJECT_LIMITS.name} characters.` };
    case 'creation_time':
    case 'deletion_time':
      return TIME.safeParse(value).success ? { value: Date.parse(value as string) } : { fault: 'A date-time with its offset (RFC 3339).' };
  }
}

const Exact = z
  .object({
    type: z.literal('exact'),
    field: FIELD,
    value: z.unknown().openapi({ type: ['integer', 'string', 'null'], format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, maxLength: PROJECT_LIMITS.name, description: 'An integer id (pk, team, creator), a string (name), an RFC 3339 date-time (the times), or null for an unset field.' }),
    case_insensitive: CASE_INSENSITIVE,
  })
  .strict()
  .superRefine((e, ctx) => {
    const v = exactValue(e.field, e.value);
    if ('fault' in v) ctx.addIssue({ code: 'custom', path: ['value'], message: v.fault });
  })
  .openapi('TeamsExact');

const Contains = z
  .object({ type: z.literal('contains'), field: FIELD, sub_string: z.string().max(PROJECT_LIMITS.name), case_insensitive: CASE_INSENSITIVE })
  .strict()
  .superRefine((e, ctx) => {
    if (e.field !== 'name') ctx.addIssue({ code: 'custom', path: ['field'], message: `"contains" applies to name only, not "${e.field}".` });
  })
  .openapi('TeamsContains');

const IsNull = z.object({ type: z.literal('isnull'), field: FIELD }).strict().openapi('TeamsIsNull');

const TOO_DEEP = `Expressions nest at most ${FILTER_BOUNDS.depth} levels deep.`;

/** An expression that may hold `levels` more levels of and/or under it. */
function expression(levels: number): z.ZodType<unknown> {
  const sub = levels > 0 ? z.array(expression(levels - 1)).max(FILTER_BOUNDS.conditions) : z.unknown().superRefine((_, ctx) => ctx.addIssue({ code: 'custom', message: TOO_DEEP }));
  const group = (type: 'and' | 'or') => z.object({ type: z.literal(type), sub_expressions: sub }).strict();
  return z.discriminatedUnion('type', [Exact, Contains, IsNull, group('and'), group('or')], {
    error: (iss) => (iss.code === 'invalid_union' ? `Unknown type ${quoted((iss.input as { type?: unknown })?.type)}; use one of: ${TYPES.join(', ')}.` : undefined),
  });
}

const Order = z
  .object({
    field: FIELD,
    ascending: z.boolean().optional().openapi({ description: 'Default true.' }),
    nulls_first: z.boolean().optional().openapi({ description: 'Where unset values go; by default first when ascending, last when descending.' }),
  })
  .strict()
  .openapi('TeamsOrderBy');

type Expr =
  | { type: 'exact'; field: Field; value: unknown; case_insensitive?: boolean | undefined }
  | { type: 'contains'; field: Field; sub_string: string; case_insensitive?: boolean | undefined }
  | { type: 'isnull'; field: Field }
  | { type: 'and' | 'or'; sub_expressions: Expr[] };

function count(list: Expr[]): number {
  return list.reduce((n, e) => n + 1 + ('sub_expressions' in e ? count(e.sub_expressions) : 0), 0);
}

function condition(e: Expr): ProjectCondition {
  switch (e.type) {
    case 'exact':
      return { op: 'exact', field: SERVICE_FIELD[e.field], value: (exactValue(e.field, e.value) as { value: string | number | null }).value, caseInsensitive: e.case_insensitive };
    case 'contains':
      return { op: 'contains', field: 'name', text: e.sub_string, caseInsensitive: e.case_insensitive };
    case 'isnull':
      return { op: 'isnull', field: SERVICE_FIELD[e.field] };
    default:
      return { op: e.type, all: e.sub_expressions.map(condition) };
  }
}

export const FilterDocument = z
  .object({
    expressions: z
      .array(expression(FILTER_BOUNDS.depth - 1))
      .max(FILTER_BOUNDS.conditions)
      .optional()
      .openapi({ description: `Conditions, all of which a project meets; at most ${FILTER_BOUNDS.conditions} expressions in all, nested at most ${FILTER_BOUNDS.depth} deep.` }),
    order_by: z.array(Order).max(FILTER_BOUNDS.orderBy).optional().openapi({ description: 'Sort keys, first first; then by pk.' }),
    include_inactive: z.boolean().optional().openapi({ description: 'Also projects in the trash, of the teams whose trash you may see (their admins); others are left out. Default false.' }),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.expressions && count(d.expressions as Expr[]) > FILTER_BOUNDS.conditions) {
      ctx.addIssue({ code: 'custom', path: ['expressions'], message: `At most ${FILTER_BOUNDS.conditions} expressions in all (nested ones included).` });
    }
  })
  .openapi('TeamsFilter', {
    example: { expressions: [{ type: 'contains', field: 'name', sub_string: 'bridge', case_insensitive: true }], order_by: [{ field: 'creation_time', ascending: false }], include_inactive: false },
  });

export type FilterDocumentIn = z.infer<typeof FilterDocument>;

/** The service's filter for a valid document (an absent one lists every project the caller sees). */
export function toFilter(d: FilterDocumentIn | undefined, page: { limit: number; offset: number }): ProjectFilter {
  return {
    where: ((d?.expressions ?? []) as Expr[]).map(condition),
    orderBy: (d?.order_by ?? []).map((o) => ({ field: SERVICE_FIELD[o.field], ascending: o.ascending ?? true, nullsFirst: o.nulls_first })),
    includeTrashed: d?.include_inactive ?? false,
    ...page,
  };
}
