import { scopeOf } from '../auth/caller';
import { entityJson } from '../http/etag';
import { authedRoute, ETAG_HEADER } from '../http/openapi';
import { createRouter } from '../http/router';
import { json } from '../http/schemas';
import { DashboardSchema } from './schemas';
import { getDashboard, RECENT } from './service';

export const dashboardRoutes = createRouter();

dashboardRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getDashboard',
    path: '/v1/dashboard',
    tags: ['Dashboard'],
    summary: 'Counts and recent changes across what you may see',
    description:
      'Organisations; projects (active and archived; the trash is left out); assets by asset_status (every status of the vocabulary, 0 where none); ' +
      `data files and the bytes they hold; reports; the ${RECENT} most recently changed assets and reports. One D1 round trip.`,
    responses: {
      200: { ...json(DashboardSchema, 'The dashboard.'), headers: ETAG_HEADER },
    },
  }),
  async (c) => entityJson(c, await getDashboard(scopeOf(c))),
);
