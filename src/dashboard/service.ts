/**
 * The dashboard: counts and recent changes over what the caller may see, in one D1 round trip
 * (the caller check and seven queries in one batch).
 *
 * Visibility is the rule of projects/access.ts and assets/access.ts, written in the two forms
 * projects/access.ts explains:
 * - counts use index-range forms (`visibleProject(scope, 'count')`, and org-alone assets through
 *   an `IN` list of organisations), so SQLite reads only what the caller may see through index
 *   lookups ("MULTI-INDEX OR") instead of scanning a table;
 * - the recent lists walk the `updated_at` ordering index newest first and test each row against
 *   its joined project (the superuser test standing alone keeps SQLite on that index), stopping at
 *   the tenth visible row.
 * test/dashboard.test.ts checks that the asset count agrees with `GET /v1/assets` for each caller.
 */
import { and, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { SEEN_ORGS, VISIBLE_PROJECTS_INDEXED } from '../auth/access';
import { authed, type Scope } from '../auth/caller';
import { ASSET_STATUSES, assets, dataFiles, organizations, projects, reports } from '../db/schema';
import { pick } from '../db/select';
import { numberOf } from '../db/numbers';
import { iso } from '../lib/time';
import { visibleAsset } from '../assets/access';
import { visibleProject } from '../projects/access';
import type { Dashboard } from './schemas';

export const RECENT = 10;

/**
 * SQL: the organisations whose members' view the caller has (all of them for a superuser), as
 * an `IN` list: the membership index, or one pass over organisations for a superuser.
 */
const memberOrganizationIds = (): SQL => sql.raw(SEEN_ORGS);

/** SQL: the joined project (of the current row) is live and the caller may see it. */
function liveVisibleJoinedProject(): SQL {
  return sql`(${projects.deletedAt} IS NULL AND ${visibleProject('page')})`;
}

function queries(scope: Scope) {
  const count = (alias: string) => sql<number>`count(*)`.as(alias);
  return [
    scope.db
      .select({ n: count('organizations') })
      .from(organizations)
      .where(sql`${organizations.id} IN ${memberOrganizationIds()}`),
    scope.db
      .select({
        active: sql<number>`count(*) FILTER (WHERE ${projects.archived} = 0)`.as('active'),
        archived: sql<number>`count(*) FILTER (WHERE ${projects.archived} = 1)`.as('archived'),
      })
      .from(projects)
      .where(and(isNull(projects.deletedAt), visibleProject('count'))),
    scope.db
      .select({ status: assets.assetStatus, n: count('assets') })
      .from(assets)
      .where(visibleAsset('count'))
      .groupBy(assets.assetStatus),
    scope.db
      .select({ n: count('data_files'), bytes: sql<number>`coalesce(sum(${dataFiles.size}), 0)`.as('bytes') })
      .from(dataFiles)
      .where(inArray(dataFiles.assetId, scope.db.select({ id: assets.id }).from(assets).where(visibleAsset('count')))),
    scope.db
      .select({ n: count('reports') })
      .from(reports)
      .where(sql`${reports.projectId} IN ${sql.raw(VISIBLE_PROJECTS_INDEXED)}`),
    scope.db
      .select({
        asset: pick({ id: assets.id, number: assets.number, name: assets.name, status: assets.assetStatus, updatedAt: assets.updatedAt }, 'a'),
        project: pick({ id: projects.id, number: projects.number, name: projects.name }, 'p'),
      })
      .from(assets)
      // LEFT: SQLite then starts from assets, on the updated_at index (see projects/access.ts).
      .leftJoin(projects, eq(projects.id, assets.projectId))
      .where(
        sql`CASE WHEN ${assets.projectId} IS NULL THEN ${assets.organizationId} IN ${memberOrganizationIds()}
          ELSE ${liveVisibleJoinedProject()} END`,
      )
      .orderBy(desc(assets.updatedAt), desc(assets.id))
      .limit(RECENT),
    scope.db
      .select({
        report: pick({ id: reports.id, number: reports.number, name: reports.name, status: reports.status, updatedAt: reports.updatedAt }, 'r'),
        project: pick({ id: projects.id, number: projects.number, name: projects.name }, 'p'),
      })
      .from(reports)
      // Inner: SQLite still starts from reports on the updated_at index (checked with EXPLAIN QUERY PLAN).
      .innerJoin(projects, eq(projects.id, reports.projectId))
      .where(liveVisibleJoinedProject())
      .orderBy(desc(reports.updatedAt), desc(reports.id))
      .limit(RECENT),
  ] as const;
}

export async function getDashboard(scope: Scope): Promise<Dashboard> {
  const [, orgs, projectCounts, byStatus, data, reportCount, recentAssets, recentReports] = await authed(scope, ...queries(scope));
  const statusCounts = Object.fromEntries(ASSET_STATUSES.map((s) => [s, 0])) as Record<(typeof ASSET_STATUSES)[number], number>;
  let assetCount = 0;
  for (const row of byStatus) {
    if (row.status in statusCounts) statusCounts[row.status] += row.n;
    assetCount += row.n;
  }
  const active = projectCounts[0]?.active ?? 0;
  const archived = projectCounts[0]?.archived ?? 0;
  return {
    organizations: { count: orgs[0]?.n ?? 0 },
    projects: { count: active + archived, active, archived },
    assets: { count: assetCount, by_status: statusCounts },
    data_files: { count: data[0]?.n ?? 0, bytes: data[0]?.bytes ?? 0 },
    reports: { count: reportCount[0]?.n ?? 0 },
    recent: {
      assets: recentAssets.map(({ asset, project }) => ({
        id: asset.id,
        number: numberOf(asset),
        name: asset.name,
        asset_status: asset.status,
        updated_at: iso(asset.updatedAt),
        project: project.id !== null && project.name !== null ? { id: project.id, number: numberOf(project), name: project.name } : null,
      })),
      reports: recentReports.map(({ report, project }) => ({
        id: report.id,
        number: numberOf(report),
        name: report.name,
        status: report.status,
        updated_at: iso(report.updatedAt),
        project: { id: project.id, number: numberOf(project), name: project.name },
      })),
    },
  };
}
