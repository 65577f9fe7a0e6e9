/**
 * D1's batch() answers rows as objects keyed by column name, and drizzle turns them back into
 * arrays by position: two selected columns with the same name (`tokens.id`, `users.id`) collapse
 * into one and every later field shifts. A query that joins tables and runs inside a batch
 * selects its columns through `columnsAs`, which gives each one a unique alias.
 */
import { getTableColumns, getTableName, sql, type Column, type SQL, type Table } from 'drizzle-orm';

type Columns<T extends Table> = T['_']['columns'];

export type AliasedColumns<T extends Table> = {
  [K in keyof Columns<T>]: SQL.Aliased<Columns<T>[K]['_']['data'] | (Columns<T>[K]['_']['notNull'] extends true ? never : null)>;
};

export function columnsAs<T extends Table>(table: T, prefix: string): AliasedColumns<T> {
  const out: Record<string, SQL.Aliased<unknown>> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    out[key] = sql`${column}`.mapWith(column).as(`${prefix}_${column.name}`);
  }
  return out as AliasedColumns<T>;
}

/** A left-joined row whose key column is null was not there: null instead of an object of nulls. */
export function joined<T extends { id: unknown }>(row: T): { [K in keyof T]: NonNullable<T[K]> } | null {
  return row.id === null || row.id === undefined ? null : (row as { [K in keyof T]: NonNullable<T[K]> });
}

/** Some columns, each under a unique alias (see above). */
export function pick<T extends Record<string, Column>>(columns: T, prefix: string): { [K in keyof T]: SQL.Aliased<T[K]['_']['data'] | (T[K]['_']['notNull'] extends true ? never : null)> } {
  const out: Record<string, SQL.Aliased<unknown>> = {};
  for (const [key, column] of Object.entries(columns)) out[key] = sql`${column}`.mapWith(column).as(`${prefix}_${column.name}`);
  return out as never;
}

/**
 * A column always written as "table"."column". drizzle leaves columns unqualified in a query on
 * one table, so a column of the outer query named inside a subquery (`… WHERE m.user_id =
 * ${users.id}`) would be read as a column of the subquery's own tables when they have one of
 * that name. Use this for every outer column referenced inside a subquery.
 */
export function outer(column: Column): SQL {
  return sql`${sql.identifier(getTableName(column.table))}.${sql.identifier(column.name)}`;
}

/** The same, as SQL text: for the access rules of auth/access.ts, which take their columns as text. */
export function qualified(column: Column): string {
  return `"${getTableName(column.table)}"."${column.name}"`;
}
