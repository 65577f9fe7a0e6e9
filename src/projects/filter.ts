/**
 * Projects by a filter document (seed 001's `POST /projects/list`): conditions on a whitelist of
 * fields, combined with and/or, and an ordering, compiled here into the WHERE and ORDER BY of the
 * list statement that also checks the caller's access (one D1 round trip, never every project
 * loaded). The fields are the project's own columns or an indexed lookup of a number
 * (organisation, creator), so each condition narrows through an index where one exists.
 */
import { and, eq, isNotNull, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { alias } from 'drizzle-orm/sqlite-core';
import { authed, type Scope } from '../auth/caller';
import { idOfNumber } from '../db/numbers';
import { pick } from '../db/select';
import { organizations, projects, users } from '../db/schema';
import { administeredProject, visibleProject } from './access';

export type ProjectField = 'number' | 'name' | 'organization' | 'creator' | 'created_at' | 'deleted_at';

/**
 * A condition. Values are of the field's kind: entity numbers for number, organization and
 * creator; text for name; epoch milliseconds for the times; null matches an unset field.
 */
export type ProjectCondition =
  | { op: 'exact'; field: ProjectField; value: string | number | null; caseInsensitive?: boolean | undefined }
  | { op: 'contains'; field: 'name'; text: string; caseInsensitive?: boolean | undefined }
  | { op: 'isnull'; field: ProjectField }
  | { op: 'and' | 'or'; all: ProjectCondition[] };

export interface ProjectOrder {
  field: ProjectField;
  ascending: boolean;
  /** Where unset values go; the database's default (first when ascending) when left out. */
  nullsFirst?: boolean | undefined;
}

export interface ProjectFilter {
  where: ProjectCondition[];
  orderBy: ProjectOrder[];
  /** Also trashed projects, of the organisations whose trash the caller may see (others are left out). */
  includeTrashed: boolean;
  limit: number;
  offset: number;
}

/** Bounds the dialect checks before a document gets here (each leaf is one bound parameter; D1 allows 100). */
export const FILTER_BOUNDS = { depth: 4, conditions: 32, orderBy: 6 } as const;

const creator = alias(users, 'filter_creator');

/** Each field as a sortable value of the list's row. */
const SORT: Record<ProjectField, SQLiteColumn> = {
  number: projects.number,
  name: projects.name,
  organization: organizations.number,
  creator: creator.number,
  created_at: projects.createdAt,
  deleted_at: projects.deletedAt,
};

/** The column a number field is matched on by id (its lookup by number runs through the number's unique index). */
const BY_NUMBER: Partial<Record<ProjectField, { column: SQLiteColumn; kind: 'organization' | 'user' }>> = {
  organization: { column: projects.organizationId, kind: 'organization' },
  creator: { column: projects.creatorId, kind: 'user' },
};

function compile(c: ProjectCondition): SQL {
  switch (c.op) {
    case 'and':
    case 'or': {
      if (c.all.length === 0) return c.op === 'and' ? sql`1` : sql`0`;
      return (c.op === 'and' ? and : or)(...c.all.map(compile))!;
    }
    case 'isnull':
      return BY_NUMBER[c.field] ? isNull(BY_NUMBER[c.field]!.column) : isNull(SORT[c.field]);
    case 'contains':
      return c.caseInsensitive ? sql`instr(lower(${projects.name}), lower(${c.text})) > 0` : sql`instr(${projects.name}, ${c.text}) > 0`;
    case 'exact': {
      const ref = BY_NUMBER[c.field];
      if (c.value === null) return isNull(ref ? ref.column : SORT[c.field]);
      if (ref) return eq(ref.column, idOfNumber(ref.kind, Number(c.value)));
      if (c.field === 'name' && c.caseInsensitive) return sql`${projects.name} = ${c.value} COLLATE NOCASE`;
      return eq(SORT[c.field], c.value);
    }
  }
}

function orderTerm(o: ProjectOrder): SQL {
  const direction = o.ascending ? sql.raw('ASC') : sql.raw('DESC');
  const nulls = o.nullsFirst === undefined ? sql`` : o.nullsFirst ? sql` NULLS FIRST` : sql` NULLS LAST`;
  return sql`${SORT[o.field]} ${direction}${nulls}`;
}

/**
 * One page of the projects the caller may see that meet every condition of `where`, in the order
 * asked (then by number), one row past the page to tell whether more follow.
 */
export async function filterProjects(scope: Scope, f: ProjectFilter) {
  const live = and(isNull(projects.deletedAt), visibleProject('page'));
  const visible = f.includeTrashed ? or(live, and(isNotNull(projects.deletedAt), administeredProject)) : live;
  const [, rows] = await authed(
    scope,
    scope.db
      // Each column under an alias of its own: three tables have a `number` (see db/select.ts).
      .select({
        ...pick({ number: projects.number, name: projects.name, createdAt: projects.createdAt, deletedAt: projects.deletedAt }, 'fp'),
        ...pick({ organization: organizations.number }, 'fo'),
        ...pick({ creator: creator.number }, 'fc'),
      })
      .from(projects)
      .leftJoin(organizations, eq(organizations.id, projects.organizationId))
      .leftJoin(creator, eq(creator.id, projects.creatorId))
      .where(and(visible, ...f.where.map(compile)))
      .orderBy(...f.orderBy.map(orderTerm), projects.number)
      .limit(f.limit + 1)
      .offset(f.offset),
  );
  return { results: rows.slice(0, f.limit), more: rows.length > f.limit };
}

export type FilteredProject = Awaited<ReturnType<typeof filterProjects>>['results'][number];
