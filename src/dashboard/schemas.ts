import { z } from '@hono/zod-openapi';
import { ASSET_STATUSES } from '../db/schema';
import { ASSET_LIMITS, ASSET_STATUS } from '../assets/schemas';
import { COUNT, ENTITY_NUMBER, ID, TIMESTAMP } from '../http/schemas';
import { PROJECT_LIMITS } from '../projects/schemas';
import { REPORT_LIMITS } from '../reports/schemas';
import { RECENT } from './service';

const ProjectBrief = z.object({ id: ID, number: ENTITY_NUMBER, name: z.string().max(PROJECT_LIMITS.name) }).openapi('DashboardProject');

/** Every status of the vocabulary is present, 0 where there is none. */
const ByStatus = z
  .object(Object.fromEntries(ASSET_STATUSES.map((s) => [s, COUNT])) as Record<(typeof ASSET_STATUSES)[number], typeof COUNT>)
  .openapi('AssetCountsByStatus', { description: 'Assets per asset_status; every status of the vocabulary is present.' });

export const RecentAssetSchema = z
  .object({
    id: ID,
    number: ENTITY_NUMBER,
    name: z.string().max(ASSET_LIMITS.name),
    asset_status: ASSET_STATUS,
    updated_at: TIMESTAMP,
    project: ProjectBrief.nullable().openapi({ description: 'null for an asset of the organisation alone.' }),
  })
  .openapi('DashboardRecentAsset');

export const RecentReportSchema = z
  .object({
    id: ID,
    number: ENTITY_NUMBER,
    name: z.string().max(REPORT_LIMITS.name),
    status: z.enum(['draft', 'final']),
    updated_at: TIMESTAMP,
    project: ProjectBrief,
  })
  .openapi('DashboardRecentReport');

export const DashboardSchema = z
  .object({
    organizations: z.object({ count: COUNT }),
    projects: z.object({
      count: COUNT,
      active: COUNT.openapi({ description: 'Not archived.' }),
      archived: COUNT,
    }),
    assets: z.object({ count: COUNT, by_status: ByStatus }),
    data_files: z.object({ count: COUNT, bytes: COUNT.openapi({ description: 'Sum of the data files’ sizes.' }) }),
    reports: z.object({ count: COUNT }),
    recent: z.object({
      assets: z.array(RecentAssetSchema).max(RECENT).openapi({ description: `The ${RECENT} most recently changed, newest first.` }),
      reports: z.array(RecentReportSchema).max(RECENT).openapi({ description: `The ${RECENT} most recently changed, newest first.` }),
    }),
  })
  .openapi('Dashboard');

export type Dashboard = z.infer<typeof DashboardSchema>;
