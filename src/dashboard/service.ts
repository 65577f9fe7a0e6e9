/**
 * The dashboard: counts and recent changes over what the caller may see, in one D1 round trip
 * (six statements in one batch; the first carries the caller check and the counts that are one
 * number each). The statements are fixed SQL (db/statement.ts), their rows mapped by hand.
 *
 * Visibility is the rule of projects/access.ts and assets/access.ts, written in the two forms
 * projects/access.ts explains:
 * - counts use index-range forms (`visibleP('count')`, and org-alone assets through an `IN`
 *   list of organisations), so SQLite reads only what the caller may see through index
 *   lookups ("MULTI-INDEX OR") instead of scanning a table;
 * - the recent lists walk the `updated_at` ordering index newest first and test each row against
 *   its joined project (the superuser test standing alone keeps SQLite on that index), stopping at
 *   the tenth visible row.
 * test/dashboard.test.ts checks that the asset count agrees with `GET /v1/assets` for each caller.
 */
import { SEEN_ORGS, VISIBLE_PROJECTS_INDEXED } from '../auth/access';
import { authed, CALLER_COLUMNS, withCaller, type Scope } from '../auth/caller';
import { ASSET_STATUSES } from '../db/schema';
import { int, intOrNull, Statement, text, textOrNull, type Row } from '../db/statement';
import { iso } from '../lib/time';
import { visibleA } from '../assets/access';
import { visibleP } from '../projects/access';
import type { Dashboard } from './schemas';

export const RECENT = 10;

type AssetStatus = (typeof ASSET_STATUSES)[number];

/** SQL: the joined project `p` (of the current row) is live and the caller may see it. */
const LIVE_VISIBLE_P = `(p.deleted_at IS NULL AND ${visibleP('page')})`;

/**
 * The caller check's row with the counts that are one number each: the organisations the caller
 * sees (SEEN_ORGS: the membership index, or one pass over organisations for a superuser), the
 * reports of the projects they see.
 */
const COUNTS = withCaller(`SELECT ${CALLER_COLUMNS},
  (SELECT count(*) FROM organizations o WHERE o.id IN ${SEEN_ORGS}) AS orgs,
  (SELECT count(*) FROM reports r WHERE r.project_id IN ${VISIBLE_PROJECTS_INDEXED}) AS reports
  FROM k`);

const PROJECT_COUNTS = withCaller(`SELECT count(*) FILTER (WHERE p.archived = 0) AS active, count(*) FILTER (WHERE p.archived = 1) AS archived
  FROM projects p WHERE p.deleted_at IS NULL AND ${visibleP('count')}`);

const ASSETS_BY_STATUS = withCaller(`SELECT a.asset_status AS status, count(*) AS n FROM assets a WHERE ${visibleA('count')} GROUP BY a.asset_status`);

const DATA = withCaller(`SELECT count(*) AS n, coalesce(sum(d.size), 0) AS bytes FROM data_files d
  WHERE d.asset_id IN (SELECT a.id FROM assets a WHERE ${visibleA('count')})`);

// LEFT: SQLite then starts from assets, on the updated_at index (see projects/access.ts).
const RECENT_ASSETS = withCaller(`SELECT a.id AS a_id, a.number AS a_number, a.name AS a_name, a.asset_status AS a_status, a.updated_at AS a_updated,
  p.id AS p_id, p.number AS p_number, p.name AS p_name
  FROM assets a LEFT JOIN projects p ON p.id = a.project_id
  WHERE CASE WHEN a.project_id IS NULL THEN a.organization_id IN ${SEEN_ORGS} ELSE ${LIVE_VISIBLE_P} END
  ORDER BY a.updated_at DESC, a.id DESC LIMIT ${RECENT}`);

// Inner: SQLite still starts from reports on the updated_at index (checked with EXPLAIN QUERY PLAN).
const RECENT_REPORTS = withCaller(`SELECT r.id AS r_id, r.number AS r_number, r.name AS r_name, r.status AS r_status, r.updated_at AS r_updated,
  p.id AS p_id, p.number AS p_number, p.name AS p_name
  FROM reports r JOIN projects p ON p.id = r.project_id
  WHERE ${LIVE_VISIBLE_P}
  ORDER BY r.updated_at DESC, r.id DESC LIMIT ${RECENT}`);

/** An entity's number in a representation: every row has one once its INSERT is done. */
function numberOf(v: unknown): number {
  const n = intOrNull(v);
  if (n === null) throw new Error('An entity row without its number.');
  return n;
}

const projectBrief = (r: Row) => ({ id: text(r.p_id), number: numberOf(r.p_number), name: text(r.p_name) });

function statements() {
  return [
    new Statement(COUNTS, [], (rows) => ({ orgs: int(rows[0]?.orgs ?? 0), reports: int(rows[0]?.reports ?? 0) }), true),
    new Statement(PROJECT_COUNTS, [], (rows) => ({ active: int(rows[0]?.active ?? 0), archived: int(rows[0]?.archived ?? 0) })),
    new Statement(ASSETS_BY_STATUS, [], (rows) => rows.map((r) => ({ status: r.status as AssetStatus, n: int(r.n) }))),
    new Statement(DATA, [], (rows) => ({ n: int(rows[0]?.n ?? 0), bytes: int(rows[0]?.bytes ?? 0) })),
    new Statement(RECENT_ASSETS, [], (rows) =>
      rows.map((r) => ({
        id: text(r.a_id),
        number: numberOf(r.a_number),
        name: text(r.a_name),
        asset_status: r.a_status as AssetStatus,
        updated_at: iso(int(r.a_updated)),
        project: textOrNull(r.p_id) !== null && textOrNull(r.p_name) !== null ? projectBrief(r) : null,
      })),
    ),
    new Statement(RECENT_REPORTS, [], (rows) =>
      rows.map((r) => ({
        id: text(r.r_id),
        number: numberOf(r.r_number),
        name: text(r.r_name),
        status: r.r_status as Dashboard['recent']['reports'][number]['status'],
        updated_at: iso(int(r.r_updated)),
        project: projectBrief(r),
      })),
    ),
  ] as const;
}

export async function getDashboard(scope: Scope): Promise<Dashboard> {
  const [, counts, projectCounts, byStatus, data, recentAssets, recentReports] = await authed(scope, ...statements());
  const statusCounts = Object.fromEntries(ASSET_STATUSES.map((s) => [s, 0])) as Record<AssetStatus, number>;
  let assetCount = 0;
  for (const row of byStatus) {
    if (row.status in statusCounts) statusCounts[row.status] += row.n;
    assetCount += row.n;
  }
  const { active, archived } = projectCounts;
  return {
    organizations: { count: counts.orgs },
    projects: { count: active + archived, active, archived },
    assets: { count: assetCount, by_status: statusCounts },
    data_files: { count: data.n, bytes: data.bytes },
    reports: { count: counts.reports },
    recent: { assets: recentAssets, reports: recentReports },
  };
}
