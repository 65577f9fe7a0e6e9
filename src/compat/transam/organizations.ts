/** Organisations (seed 003): `GET /api/v1/organizations/{id}` by its integer id. */
import { z } from '@hono/zod-openapi';
import { scopeOf } from '../../auth/caller';
import { idOfNumber } from '../../db/numbers';
import { createRouter } from '../../http/router';
import { json } from '../../http/schemas';
import { getOrganization } from '../../organizations/service';
import { numberParam } from '../values';
import { jsend, transam } from './dialect';
import { organization, OrganizationSchema } from './render';

const OrganizationOk = jsend(z.object({ organization: OrganizationSchema }), 'OrganizationAnswer');

export const organizationRoutes = createRouter();

organizationRoutes.openapi(
  transam.authedRoute({
    method: 'get',
    operationId: 'getOrganization',
    path: '/api/v1/organizations/{id}',
    tags: ['Organizations'],
    summary: 'An organisation you belong to (404 for another, as for a missing one)',
    request: { params: z.object({ id: numberParam('id', 'The organisation’s id.') }) },
    responses: { 200: json(OrganizationOk, 'The organisation.'), ...transam.errorResponses(404) },
  }),
  async (c) => {
    const org = await getOrganization(scopeOf(c), idOfNumber('organization', c.req.valid('param').id));
    return c.json({ status: 'success' as const, data: { organization: organization(org) } }, 200);
  },
);
