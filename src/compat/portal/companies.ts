/** Companies (seed 000): the organisations the caller belongs to, `{"id", "name", "user"}`. */
import { z } from '@hono/zod-openapi';
import { scopeOf } from '../../auth/caller';
import { idOfNumber } from '../../db/numbers';
import { entityJson } from '../../http/etag';
import { listJson } from '../../http/list-answer';
import { ETAG_HEADER } from '../../http/openapi';
import { createRouter } from '../../http/router';
import { json } from '../../http/schemas';
import { getOrganization, listOrganizations } from '../../organizations/service';
import { drfListQuery, drfPage, drfPageSchema } from '../drf';
import { numberParam } from '../values';
import { portal } from './dialect';
import { company, CompanySchema } from './render';

const idParam = z.object({ id: numberParam('id', 'The company’s id.') });

export const companyRoutes = createRouter();

companyRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'listCompanies',
    path: '/project_management/companies/',
    tags: ['Companies'],
    summary: 'The companies you belong to (every company, for a superuser)',
    request: { query: drfListQuery },
    responses: { 200: json(drfPageSchema(CompanySchema, 'CompanyList'), 'A page of companies, by name.') },
  }),
  async (c) => {
    const q = c.req.valid('query');
    return listJson(c, await listOrganizations(scopeOf(c), q, c.req.url), drfPage(c, q, company));
  },
);

companyRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'getCompany',
    path: '/project_management/companies/{id}',
    tags: ['Companies'],
    summary: 'A company (404 for one you do not belong to, as for a missing one)',
    request: { params: idParam },
    responses: { 200: { ...json(CompanySchema, 'The company.'), headers: ETAG_HEADER }, ...portal.errorResponses(404) },
  }),
  async (c) => entityJson(c, company(await getOrganization(scopeOf(c), idOfNumber('organization', c.req.valid('param').id)))),
);
