/**
 * Statements whose SQL text is fixed once per isolate: the hot reads bind their parameters to
 * text built when the module loads (or, for a variant such as a list's ordering, the first time
 * it is used) and map the rows D1 answers by hand. drizzle builds the SQL text and maps the rows
 * on every request (measured: about 0.5 ms of a GET of one project, 1.5 ms of a page of 50).
 *
 * A Statement runs in a batch beside drizzle queries (auth/caller.ts, callerBatch), so an
 * authenticated read stays one D1 round trip whichever way its statements are written.
 */
import { clampJson } from '../http/json-limits';

/** A row as D1 answers it: column name (the alias in the SELECT) to value. */
export type Row = Record<string, unknown>;

export class Statement<T> {
  /**
   * `carriesCaller`: the statement also selects the caller's columns (auth/caller.ts,
   * CALLER_COLUMNS) in a row that is there whenever the credential is valid (`FROM k LEFT JOIN
   * …`), so that an item read and its caller check are one statement; `map` is given that row.
   */
  constructor(
    readonly sql: string,
    readonly params: readonly unknown[],
    readonly map: (rows: Row[]) => T,
    readonly carriesCaller = false,
  ) {}
}

/** The statement's rows, as D1 answers them. */
export const rowsOf = (sql: string, params: readonly unknown[]): Statement<Row[]> => new Statement(sql, params, (rows) => rows);

/** The first row, or undefined. */
export const firstRowOf = (sql: string, params: readonly unknown[]): Statement<Row | undefined> => new Statement(sql, params, (rows) => rows[0]);

/**
 * The conditions a list was given, as SQL text over its table's alias in the order they were
 * added, their parameters, and `variant`: the names of those given, so that equal variants have
 * equal text and a list's statement is built once per variant (variants below).
 */
export class Conditions {
  private readonly parts: string[] = [];
  readonly params: unknown[] = [];
  variant = '';

  add(name: string, text: string, ...values: unknown[]): void {
    this.variant += name;
    this.parts.push(text);
    this.params.push(...values);
  }

  /** The conditions joined by AND; '' for none. */
  get text(): string {
    return this.parts.join(' AND ');
  }
}

/**
 * SQL text built once per variant and kept for the isolate's life: `build()` runs the first time
 * `key` is asked for. Variants are few and fixed (an ordering and its direction, which
 * filters a list was given, how an entity is named: by id or by number).
 */
export function variants(): (key: string, build: () => string) => string {
  const built = new Map<string, string>();
  return (key, build) => {
    let text = built.get(key);
    if (text === undefined) {
      text = build();
      built.set(key, text);
    }
    return text;
  };
}

/** Column readers for hand-mapped rows: SQLite answers booleans as 0/1 and JSON as text. */
export const bool = (v: unknown): boolean => v === 1 || v === true;
export const text = (v: unknown): string => v as string;
export const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));
export const int = (v: unknown): number => v as number;
export const intOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : (v as number));
/** JSON text read back within the nesting limit, as the schema's jsonText columns are (db/schema.ts). */
export const json = <T>(v: unknown): T => clampJson(JSON.parse(v as string) as T);
