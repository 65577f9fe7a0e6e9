/**
 * The change feed of an organisation and the activity of one entity, read from the change log
 * (src/db/schema.ts, `changes`). One D1 round trip a page: the caller and the organisation, where
 * retention has reached, whether the caller's view changed, the page, and its entities.
 *
 * A page examines at most FEED_WINDOW changes after the cursor (by `seq`, an index range), so its
 * cost does not grow with the log nor with how much of it the caller may not see: a page of a
 * caller who sees little may hold few changes, or none, and still move the cursor on. Only the
 * same cursor back with no changes means "up to date".
 */
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { assetWithAccess, requireAsset } from '../assets/access';
import { toAsset } from '../assets/schemas';
import { authed, type Caller, type Scope } from '../auth/caller';
import { changes, sweepState, type ChangeRow, type ChangeType } from '../db/schema';
import { paged, planPage, type ListQuery, type ListSpec } from '../http/list';
import { problems } from '../http/problem';
import { iso } from '../lib/time';
import { orgRef, orgWithRole, requireOrg } from '../organizations/access';
import { toOrganization } from '../organizations/schemas';
import { projectWithAccess, requireProject } from '../projects/access';
import { toProject } from '../projects/schemas';
import { reportWithAccess, requireReadableReport } from '../reports/service';
import { requireReadableResource, resourceWithAccess } from '../resources/service';
import { decodeFeedCursor, encodeFeedCursor, type FeedRole } from './cursor';
import { readRendered, renderedOf, renderQueries, type PageIds, type Resolved } from './render';
import { CHANGE_LOG_FLOOR } from './retention';
import { FEED_LIMIT, type ChangeOut } from './schemas';
import { changeVisible, viewChanged } from './visibility';

/** Changes a page looks at, at most, after its cursor. */
export const FEED_WINDOW = 1000;

/** A row of the log as a page reads it (raw SQL: column names). */
interface LogRow {
  seq: number;
  organization_id: string;
  project_id: string | null;
  entity_type: ChangeType;
  entity_id: string;
  op: ChangeRow['op'];
  version: number | null;
  actor_id: string | null;
  at: number;
}

const LOG_COLUMNS = ['seq', 'organization_id', 'project_id', 'entity_type', 'entity_id', 'op', 'version', 'actor_id', 'at'] as const;

/** The columns of a log row from a subquery aliased `alias`, under their own names. */
function logColumns(alias: string) {
  return Object.fromEntries(LOG_COLUMNS.map((c) => [c, sql.raw(`${alias}.${c}`).as(c)])) as unknown as { [K in keyof LogRow]: SQL.Aliased<LogRow[K]> };
}

const asLogRow = (r: ChangeRow): LogRow => ({
  seq: r.seq,
  organization_id: r.organizationId,
  project_id: r.projectId,
  entity_type: r.entityType,
  entity_id: r.entityId,
  op: r.op,
  version: r.version,
  actor_id: r.actorId,
  at: r.at,
});

/** A change as answers show it; `entity` undefined when an upsert's entity is gone (a deletion follows it). */
function toChange(row: LogRow, entity: unknown): ChangeOut | null {
  const deleted = row.op === 'delete';
  if (!deleted && entity === undefined) return null;
  return {
    seq: row.seq,
    at: iso(row.at),
    op: deleted ? 'delete' : 'upsert',
    type: row.entity_type,
    id: row.entity_id,
    project: row.project_id,
    version: row.version,
    actor: row.actor_id,
    entity: deleted ? null : entity,
  } as ChangeOut;
}

const resync = (detail: string) => problems.gone(`${detail} Read the feed again from the beginning (no cursor), and replace what you hold with what it gives.`);

export async function readFeed(scope: Scope, ref: string, q: { cursor?: string | undefined; limit?: number | undefined }) {
  const cursor = q.cursor !== undefined ? decodeFeedCursor(q.cursor) : null;
  const after = cursor?.s ?? 0;
  const limit = q.limit ?? FEED_LIMIT.default;
  const org = sql`(SELECT id FROM organizations WHERE ${orgRef(ref)})`;
  // INDEXED BY: the organisation is a subquery, so SQLite cannot tell that its index beats walking seq.
  const window = sql`(SELECT * FROM changes INDEXED BY changes_org_seq_idx WHERE organization_id = ${org} AND seq > ${after} ORDER BY seq LIMIT ${FEED_WINDOW})`;
  const page = sql`(SELECT e.* FROM ${window} e WHERE ${changeVisible('e', org)} ORDER BY e.seq LIMIT ${limit + 1})`;
  const ids: PageIds = (type, column = 'entity_id') => sql`(SELECT ${sql.raw(column)} FROM ${page} p WHERE p.entity_type = ${type})`;
  const [caller, orgRows, floorRows, changedRows, windowRows, pageRows, ...rendered] = await authed(
    scope,
    orgWithRole(scope, ref),
    scope.db.select({ seq: sweepState.cursor }).from(sweepState).where(eq(sweepState.name, CHANGE_LOG_FLOOR)),
    scope.db.select({ changed: sql<number>`${cursor ? sql`(SELECT ${viewChanged(org, after)})` : sql`0`}`.as('changed') }).from(sql`(SELECT 1)`),
    scope.db.select({ last: sql<number | null>`max(w.seq)`.as('last') }).from(sql`${window} w`),
    scope.db.select(logColumns('p')).from(sql`${page} p`),
    ...renderQueries(scope, org, ids),
  );
  const access = requireOrg(caller, orgRows, 'read');
  const role: FeedRole = caller.isSuperuser ? 'superuser' : access.role!;
  if (cursor) {
    if (cursor.o !== access.org.id) throw problems.invalid([{ path: 'cursor', message: 'A cursor of another organisation’s feed.' }]);
    if (cursor.s < Number(floorRows[0]?.seq ?? 0)) throw resync('The changes after this cursor are older than the feed keeps.');
    if (cursor.u !== caller.userId || cursor.r !== role || changedRows[0]?.changed) throw resync('What you may see in this organisation has changed since this cursor.');
  }
  const more = pageRows.length > limit;
  const shown = pageRows.slice(0, limit);
  const next = more ? shown.at(-1)!.seq : (windowRows[0]?.last ?? after);
  const entities = readRendered(rendered);
  const organization = toOrganization(access.org, access.logo);
  const list = shown
    .map((row) => toChange(row, row.entity_type === 'organization' ? organization : renderedOf(entities, row.entity_type, row.entity_id, row.project_id)))
    .filter((c): c is ChangeOut => c !== null);
  return { changes: list, next_cursor: encodeFeedCursor({ o: access.org.id, s: next, u: caller.userId, r: role }) };
}

/** Activity lists: by seq, newest first by default. */
export const activitySpec: ListSpec<ChangeRow> = {
  fields: { seq: { expr: changes.seq, key: (r) => r.seq } },
  tiebreaker: { expr: changes.seq, key: (r) => r.seq },
  defaultOrdering: '-seq',
};

type Reader<Q extends readonly unknown[]> = {
  queries: (scope: Scope, id: string) => Q;
  /** The entity as the caller may see it (404 as for a missing one otherwise). */
  entity: (caller: Caller, results: Resolved<Q>) => unknown;
  /** A resource's changes are in several feeds: its own organisation's is its activity. */
  feed?: (id: string) => SQL;
};

const reader = <Q extends readonly unknown[]>(r: Reader<Q>) => r;

export const ACTIVITY = {
  project: reader({
    queries: (scope, id) => [projectWithAccess(scope, id)] as const,
    entity: (caller, [rows]) => toProject(requireProject(caller, rows, 'read', { trash: 'any' })),
  }),
  asset: reader({
    queries: (scope, id) => [assetWithAccess(scope, id)] as const,
    entity: (caller, [rows]) => toAsset(requireAsset(caller, rows, 'read').row),
  }),
  report: reader({
    queries: (scope, id) => reportWithAccess(scope, id),
    entity: (caller, [projectRows, reportRows]) => requireReadableReport(caller, projectRows, reportRows),
  }),
  resource: reader({
    queries: (scope, id) => resourceWithAccess(scope, id),
    entity: (_caller, [rows, attachments]) => requireReadableResource(rows, attachments),
    feed: (id) => sql`(SELECT organization_id FROM resources WHERE id = ${id})`,
  }),
} as const;

export type ActivitySubject = keyof typeof ACTIVITY;

/** The changes of one entity, newest first, paginated as lists are; 404 when the caller may not see it. */
export async function readActivity(scope: Scope, type: ActivitySubject, id: string, q: ListQuery, url: string) {
  const subject = ACTIVITY[type] as unknown as Reader<readonly unknown[]>;
  const plan = planPage(activitySpec, q);
  const filters = and(eq(changes.entityType, type), eq(changes.entityId, id), subject.feed ? eq(changes.organizationId, subject.feed(id)) : undefined);
  const queries = subject.queries(scope, id) as unknown as Parameters<typeof authed>[1][];
  const [caller, rows, counted, ...access] = await authed(
    scope,
    paged(scope.db.select().from(changes).$dynamic(), plan, filters),
    scope.db.select({ n: sql<number>`count(*)` }).from(changes).where(filters),
    ...queries,
  );
  const entity = subject.entity(caller, access as never);
  const page = plan.finish(rows, counted[0]?.n ?? 0, url);
  return { ...page, results: page.results.map((r) => toChange(asLogRow(r), entity)!) };
}
