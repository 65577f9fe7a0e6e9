/**
 * The dashboard (seed 000): what the caller may see, counted, and the latest changes, from /v1's
 * dashboard service in one round trip; relations as integer ids.
 */
import { z } from '@hono/zod-openapi';
import { ASSET_LIMITS, ASSET_STATUS } from '../../assets/schemas';
import { scopeOf } from '../../auth/caller';
import { DashboardSchema as V1Dashboard, type Dashboard } from '../../dashboard/schemas';
import { getDashboard, RECENT } from '../../dashboard/service';
import { createRouter } from '../../http/router';
import { COUNT, json } from '../../http/schemas';
import { REPORT_LIMITS, REPORT_STATUS } from '../../reports/schemas';
import { NUMBER_ID, Z_TIME, zTime } from '../values';
import { portal } from './dialect';

export const DashboardSchema = z
  .object({
    companies: COUNT,
    projects: COUNT,
    active_projects: COUNT.openapi({ description: 'Not archived.' }),
    archived_projects: COUNT,
    assets: COUNT,
    assets_by_status: V1Dashboard.shape.assets.shape.by_status,
    data: COUNT.openapi({ description: 'Data files.' }),
    data_bytes: COUNT.openapi({ description: 'Sum of the data files’ sizes.' }),
    reports: COUNT,
    recent_assets: z
      .array(z.object({ id: NUMBER_ID, name: z.string().max(ASSET_LIMITS.name), asset_status: ASSET_STATUS, updated_at: Z_TIME, project: NUMBER_ID.nullable() }))
      .max(RECENT)
      .openapi({ description: `The ${RECENT} most recently changed, newest first.` }),
    recent_reports: z
      .array(z.object({ id: NUMBER_ID, name: z.string().max(REPORT_LIMITS.name), status: REPORT_STATUS, updated_at: Z_TIME, project: NUMBER_ID }))
      .max(RECENT)
      .openapi({ description: `The ${RECENT} most recently changed, newest first.` }),
  })
  .openapi('Dashboard');

const dashboard = (d: Dashboard): z.infer<typeof DashboardSchema> => ({
  companies: d.organizations.count,
  projects: d.projects.count,
  active_projects: d.projects.active,
  archived_projects: d.projects.archived,
  assets: d.assets.count,
  assets_by_status: d.assets.by_status,
  data: d.data_files.count,
  data_bytes: d.data_files.bytes,
  reports: d.reports.count,
  recent_assets: d.recent.assets.map((a) => ({ id: a.number, name: a.name, asset_status: a.asset_status, updated_at: zTime(a.updated_at), project: a.project?.number ?? null })),
  recent_reports: d.recent.reports.map((r) => ({ id: r.number, name: r.name, status: r.status, updated_at: zTime(r.updated_at), project: r.project.number })),
});

export const dashboardRoutes = createRouter();

dashboardRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'getDashboard',
    path: '/project_management/dashboard/',
    tags: ['Dashboard'],
    summary: 'What you may see, counted, and the latest changes',
    responses: { 200: json(DashboardSchema, 'The dashboard.') },
  }),
  async (c) => c.json(dashboard(await getDashboard(scopeOf(c))), 200, { 'Cache-Control': 'private, no-cache' }),
);
