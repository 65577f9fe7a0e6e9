/**
 * A D1Database that counts round trips and their time for Server-Timing. Every call that
 * reaches D1 (a statement's run/all/first/raw, a batch, exec) is one round trip.
 *
 * With `context`, it also brackets every write with the write context (write-context.ts): a batch
 * that holds a write begins and ends with its two statements, and a lone write statement runs as
 * such a batch (still one round trip). Reads are left as they are.
 */
import { writes, type WriteContext } from './write-context';

export interface D1Stats {
  roundTrips: number;
  ms: number;
}

async function timed<T>(stats: D1Stats, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await work();
  } finally {
    stats.roundTrips += 1;
    stats.ms += performance.now() - start;
  }
}

type Context = () => WriteContext;

/** A row of a batch's result as raw() answers it: the values in column order. */
const values = (row: Record<string, unknown>) => Object.keys(row).map((k) => row[k]);

class TimedStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    readonly query: string,
    private readonly db: D1Database,
    private readonly stats: D1Stats,
    private readonly context?: Context,
  ) {}
  bind(...params: unknown[]): TimedStatement {
    return new TimedStatement(this.inner.bind(...params), this.query, this.db, this.stats, this.context);
  }
  /** The statement's own result, run inside the write context when it writes. */
  private async result<T>(): Promise<D1Result<T>> {
    const { begin, end } = this.context!();
    const results = await this.db.batch<T>([begin, this.inner, end]);
    return results[1]!;
  }
  private get bracketed(): boolean {
    return this.context !== undefined && writes(this.query);
  }
  first<T>(column?: string): Promise<T | null> {
    return timed(this.stats, async () => {
      if (!this.bracketed) return column === undefined ? this.inner.first<T>() : this.inner.first<T>(column);
      const row = (await this.result<Record<string, unknown>>()).results[0];
      if (!row) return null;
      return (column === undefined ? row : row[column]) as T;
    });
  }
  all<T>(): Promise<D1Result<T>> {
    return timed(this.stats, () => (this.bracketed ? this.result<T>() : this.inner.all<T>()));
  }
  run<T>(): Promise<D1Result<T>> {
    return timed(this.stats, () => (this.bracketed ? this.result<T>() : this.inner.run<T>()));
  }
  raw<T>(options?: { columnNames?: boolean }): Promise<T[]> {
    return timed(this.stats, async () => {
      if (!this.bracketed) return this.inner.raw<T>(options as { columnNames: false });
      const rows = (await this.result<Record<string, unknown>>()).results;
      const out = rows.map(values);
      if (options?.columnNames) out.unshift(rows[0] ? Object.keys(rows[0]) : []);
      return out as T[];
    });
  }
}

export function timedD1(db: D1Database, stats: D1Stats, context?: Context): D1Database {
  const wrapper = {
    prepare: (query: string) => new TimedStatement(db.prepare(query), query, db, stats, context),
    batch: <T>(statements: (TimedStatement | D1PreparedStatement)[]) =>
      timed(stats, async () => {
        const inner = statements.map((s) => (s instanceof TimedStatement ? s.inner : s));
        if (!context || !statements.some((s) => s instanceof TimedStatement && writes(s.query))) return db.batch<T>(inner);
        const { begin, end } = context();
        return (await db.batch<T>([begin, ...inner, end])).slice(1, -1);
      }),
    exec: (query: string) => timed(stats, () => db.exec(query)),
    dump: () => db.dump(),
    withSession: (constraint?: string) => db.withSession(constraint),
  };
  return wrapper as unknown as D1Database;
}
