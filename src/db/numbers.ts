/**
 * Entity numbers (schema.ts, entityNumber): the integers the seed dialects show and address
 * things by. A dialect finds an entity by number with `idOfNumber` in place of its id, inside
 * the same statement as the access check, so a read stays one D1 round trip and an unknown
 * number answers 404 exactly as an unknown id does.
 */
import { getTableName, sql, type Column, type SQL } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import { outer } from './select';
import { assets, dataFiles, folders, organizations, projects, reports, resources, spheres, users, type NumberedKind } from './schema';

const TABLES = {
  user: users,
  organization: organizations,
  project: projects,
  asset: assets,
  folder: folders,
  data_file: dataFiles,
  sphere: spheres,
  report: reports,
  resource: resources,
} as const satisfies Record<NumberedKind, unknown>;

/** An entity's id, or SQL that finds it in the statement that reads it (idOfNumber, the asset of a folder). */
export type IdRef = string | SQL<string | null>;

const dialect = new SQLiteSyncDialect();

/**
 * An IdRef as SQL text and its parameters, for statements whose text is fixed (db/statement.ts):
 * `?` and the id, or the text of the SQL that finds it. That text is the same for every id or
 * number of one kind (`idOfNumber('project', n)` is one text whatever `n`), so a statement built
 * around it is built once per kind of reference and kept (`variants`).
 */
export function refSql(ref: IdRef): { text: string; params: unknown[] } {
  if (typeof ref === 'string') return { text: '?', params: [ref] };
  const { sql: text, params } = dialect.sqlToQuery(ref);
  return { text, params };
}

/**
 * SQL: the id of the `kind` numbered `n` (NULL when there is none), found through the number's
 * unique index. `n` is an integer the caller has validated (a dialect's path or body field).
 */
export function idOfNumber(kind: NumberedKind, n: number): SQL<string | null> {
  return sql<string | null>`(SELECT nx.id FROM ${sql.identifier(getTableName(TABLES[kind]))} nx WHERE nx.number = ${n})`;
}

/** An entity's number in a representation. Every row has one once its INSERT is done (the default, or the trigger). */
export function numberOf(row: { number: number | null }): number {
  if (row.number === null) throw new Error('An entity row without its number.');
  return row.number;
}

/**
 * SQL: the number of the `kind` whose id is `id` (a column of the outer row, or NULL), for a
 * representation that names a related entity by number (a dialect's folder names its asset).
 */
export function numberOfId(kind: NumberedKind, id: Column): SQL<number | null> {
  return sql<number | null>`(SELECT nn.number FROM ${sql.identifier(getTableName(TABLES[kind]))} nn WHERE nn.id = ${outer(id)})`;
}
