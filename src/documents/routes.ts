/**
 * Seed 003's documents: `/v1/{documentable_type}/{documentable_id}/documents[/{id}]`, one concrete
 * path per entity type so the OpenAPI document stays exact. A document is a resource
 * (src/resources): the same representation, rules and answers. An item route answers 404, as for
 * a missing id, unless the resource is attached to the entity of the path and the caller may see
 * that entity (the TransAM implementation looked documents up by key alone). DELETE deletes the
 * resource itself, as DELETE /v1/resources/{resource} does.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { scopeOf } from '../auth/caller';
import { entityJson } from '../http/etag';
import { authedRoute, IF_MATCH } from '../http/openapi';
import { errorResponses } from '../http/problem';
import { createRouter } from '../http/router';
import { jsonBody, pathParam } from '../http/schemas';
import { uploadBody } from '../storage/file-http';
import {
  createFromUpload,
  ENTITY_ROUTES,
  entityParam,
  FILE_NAME_HEADER,
  LIST_OK,
  RESOURCE_OK,
  resourceListQuery,
  UPLOAD_FIELDS,
  uploadQuery,
} from '../resources/routes';
import { ResourcePatchBody } from '../resources/schemas';
import * as service from '../resources/service';
import { listJson } from '../http/list-answer';

const idParam = z.object({ id: pathParam('id', 'Document (resource) id (res_…).', 'res_01jd8z3b6q0w4y1r7k5t2m9xce') });

export const documentRoutes = createRouter();

for (const e of ENTITY_ROUTES) {
  const param = entityParam(e);
  const itemParams = param.merge(idParam);
  const params = (c: Context) => (c.req.valid as (t: 'param') => Record<string, string>)('param');
  const within = (c: Context): service.Within => ({ type: e.type, ref: params(c)[e.param]! });
  const base = `/v1/${e.segment}/{${e.param}}/documents`;

  documentRoutes.openapi(
    authedRoute({
      method: 'get',
      operationId: `list${e.title}Documents`,
      path: base,
      tags: ['Documents'],
      summary: `The documents of this ${e.type} (seed 003): its resources`,
      request: { params: param, query: resourceListQuery },
      responses: { 200: LIST_OK, ...errorResponses(400, 404) },
    }),
    async (c) => {
      return listJson(c, await service.listResources(scopeOf(c), c.req.valid('query'), c.req.url, within(c)));
    },
  );

  documentRoutes.openapi(
    authedRoute({
      method: 'post',
      operationId: `create${e.title}Document`,
      path: base,
      tags: ['Documents'],
      summary: `Upload a document of this ${e.type} (seed 003): a resource attached to it`,
      request: { params: param, query: uploadQuery, body: uploadBody(UPLOAD_FIELDS) },
      parameters: [FILE_NAME_HEADER],
      responses: { 201: RESOURCE_OK('Created.'), ...errorResponses(400, 403, 404, 409) },
    }),
    async (c) => createFromUpload(c, within(c)),
  );

  documentRoutes.openapi(
    authedRoute({
      method: 'patch',
      operationId: `update${e.title}Document`,
      path: `${base}/{id}`,
      tags: ['Documents'],
      summary: `Change a document of this ${e.type}, as PATCH /v1/resources/{resource}`,
      request: { params: itemParams, body: jsonBody(ResourcePatchBody) },
      parameters: [IF_MATCH],
      responses: { 200: RESOURCE_OK('Updated.'), ...errorResponses(400, 403, 404, 409) },
    }),
    async (c) =>
      entityJson(c, await service.updateResource(scopeOf(c), params(c).id!, c.req.valid('json'), c.req.header('If-Match'), within(c))),
  );

  documentRoutes.openapi(
    authedRoute({
      method: 'delete',
      operationId: `delete${e.title}Document`,
      path: `${base}/{id}`,
      tags: ['Documents'],
      summary: `Delete a document of this ${e.type}, as DELETE /v1/resources/{resource}`,
      request: { params: itemParams },
      parameters: [IF_MATCH],
      responses: { 204: { description: 'Deleted.' }, ...errorResponses(403, 404, 409) },
    }),
    async (c) => {
      await service.deleteResource(scopeOf(c), params(c).id!, c.req.header('If-Match'), within(c));
      return c.body(null, 204);
    },
  );
}
