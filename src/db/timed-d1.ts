/**
 * A D1Database that counts round trips and their time for Server-Timing. Every call that
 * reaches D1 (a statement's run/all/first/raw, a batch, exec) is one round trip.
 */
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

class TimedStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    private readonly stats: D1Stats,
  ) {}
  bind(...values: unknown[]): TimedStatement {
    return new TimedStatement(this.inner.bind(...values), this.stats);
  }
  first<T>(column?: string): Promise<T | null> {
    return timed(this.stats, () => (column === undefined ? this.inner.first<T>() : this.inner.first<T>(column)));
  }
  all<T>(): Promise<D1Result<T>> {
    return timed(this.stats, () => this.inner.all<T>());
  }
  run<T>(): Promise<D1Result<T>> {
    return timed(this.stats, () => this.inner.run<T>());
  }
  raw<T>(options?: { columnNames?: boolean }): Promise<T[]> {
    return timed(this.stats, () => this.inner.raw<T>(options as { columnNames: false }));
  }
}

export function timedD1(db: D1Database, stats: D1Stats): D1Database {
  const wrapper = {
    prepare: (query: string) => new TimedStatement(db.prepare(query), stats),
    batch: <T>(statements: TimedStatement[]) =>
      timed(stats, () => db.batch<T>(statements.map((s) => (s instanceof TimedStatement ? s.inner : s)))),
    exec: (query: string) => timed(stats, () => db.exec(query)),
    dump: () => db.dump(),
    withSession: (constraint?: string) => db.withSession(constraint),
  };
  return wrapper as unknown as D1Database;
}
