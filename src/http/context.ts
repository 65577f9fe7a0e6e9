import type { Context } from 'hono';
import type { Db } from '../db/client';
import type { D1Stats } from '../db/timed-d1';
import type { Bindings } from '../env';
import type { Credential } from '../auth/credentials';
import type { IdempotencyClaim } from './idempotency';
import type { Problem } from './problem';

export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    d1Stats: D1Stats;
    db: Db;
    /** Parsed from the request's headers by requireCredential; checked against D1 with the handler's own query. */
    credential: Credential;
    /** A keyed POST's claim on its Idempotency-Key (http/idempotency.ts), taken by its first D1 batch. */
    idempotency: IdempotencyClaim | undefined;
    /** Set for a request under a seed dialect's base path: renders every problem as that dialect's error (src/compat). */
    renderProblem: ((c: Context, p: Problem) => Response) | undefined;
    /** The error texts the operation declared (a dialect words some errors per operation). */
    errorMessages: Partial<Record<number, string>> | undefined;
  };
}
