import { sql, type SQL } from 'drizzle-orm';
import type { Scope } from '../auth/caller';
import { deletions } from './schema';
import { newId } from '../lib/ids';

/**
 * A deletion record for the change feed, for a batch. With `gone`, it is written only if that
 * SQL holds when the statement runs (the entity's row is really gone), so a delete that lost a
 * race records nothing. INSERT … SELECT lists the table's columns in their schema order.
 */
export function recordDeletion(scope: Scope, entityType: string, entityId: string, organizationId: string | null, gone?: SQL) {
  return scope.db
    .insert(deletions)
    .select(sql`SELECT ${newId('del')}, ${entityType}, ${entityId}, ${organizationId}, ${scope.now} WHERE ${gone ?? sql`1`}`);
}
