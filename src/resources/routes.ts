import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { scopeOf } from '../auth/caller';
import type { ResourceEntityType } from '../db/schema';
import type { AppEnv } from '../http/context';
import { entityJson } from '../http/etag';
import { LIST_HEADERS, listEnvelope, listQuerySchema, searchParam } from '../http/list';
import { JSON_LIMITS, jsonTextField } from '../http/json-limits';
import { authedRoute, binary, ETAG_HEADER, FILE_NAME_HEADER, IF_MATCH } from '../http/openapi';
import { errorResponses, problems } from '../http/problem';
import { createRouter } from '../http/router';
import { json, jsonBody, pathParam, queryBool } from '../http/schemas';
import { readUpload, REPLACEMENT, uploadBody } from '../storage/file-http';
import { DOWNLOAD_HEADERS, DOWNLOAD_PARAMETERS } from '../storage/objects';
import {
  ATTACH_MAX,
  ATTACH_REF_MAX,
  AttachBody,
  ENTITY_TYPE,
  parseAttachRef,
  RESOURCE_LIMITS,
  ResourcePatchBody,
  ResourceSchema,
  ResourceUploadFields,
  type AttachTarget,
} from './schemas';
import * as service from './service';
import { listJson } from '../http/list-answer';

/** The entities resources attach to, as their routes name them. */
export const ENTITY_ROUTES: { type: ResourceEntityType; segment: string; param: string; title: string; description: string; example: string }[] = [
  { type: 'organization', segment: 'organizations', param: 'org', title: 'Organization', description: 'Organization id or slug.', example: 'acme' },
  { type: 'project', segment: 'projects', param: 'project', title: 'Project', description: 'Project id (prj_…).', example: 'prj_01jd8z3b6q0w4y1r7k5t2m9xce' },
  { type: 'asset', segment: 'assets', param: 'asset', title: 'Asset', description: 'Asset id (ast_…).', example: 'ast_01jd8z3b6q0w4y1r7k5t2m9xce' },
  { type: 'report', segment: 'reports', param: 'report', title: 'Report', description: 'Report id (rpt_…).', example: 'rpt_01jd8z3b6q0w4y1r7k5t2m9xce' },
];

export const entityParam = (e: (typeof ENTITY_ROUTES)[number]) => z.object({ [e.param]: pathParam(e.param, e.description, e.example) });
export const resourceParam = z.object({ resource: pathParam('resource', 'Resource id (res_…).', 'res_01jd8z3b6q0w4y1r7k5t2m9xce') });
const detachParams = resourceParam.extend({
  entity_type: ENTITY_TYPE.openapi({ param: { name: 'entity_type', in: 'path' } }),
  entity_id: pathParam('entity_id', 'The entity’s id (an organisation also by slug).', 'prj_01jd8z3b6q0w4y1r7k5t2m9xce'),
});

export const resourceListQuery = listQuerySchema(service.resourceListSpec).extend({
  search: searchParam('Resources whose name or description contains this text (case-insensitive).'),
  archived: queryBool.openapi({ description: 'Only archived (true) or only unarchived (false) resources.' }),
  active: queryBool.openapi({ description: 'Seed 004: true for the unarchived resources, false for the archived ones.' }),
  entity_type: ENTITY_TYPE.optional().openapi({ description: 'Only resources attached to an entity of this kind (that you may see).' }),
  mime_type: z.string().trim().min(1).max(255).optional().openapi({ description: 'Only resources of this media type.' }),
});

export const uploadQuery = z.object({
  name: z.string().max(1000).optional().openapi({ description: 'The name, as the form’s `name` (not both); with a raw body, or X-File-Name.' }),
  description: z.string().max(10_000).optional().openapi({ description: 'The description, as the form’s `description` (not both).' }),
  attributes: z.string().max(10_000).optional().openapi({ description: `The attributes, a JSON object as JSON text nested at most ${JSON_LIMITS.depth} levels, as the form’s \`attributes\` (not both).` }),
  attach: z
    .union([z.string().max(ATTACH_REF_MAX), z.array(z.string().max(ATTACH_REF_MAX)).max(ATTACH_MAX)])
    .optional()
    .openapi({ description: 'An entity to attach to, `entity_type:id`; repeat for several (or the form’s `attach` fields, not both).' }),
});

export { FILE_NAME_HEADER };

export const ResourceList = listEnvelope(ResourceSchema, 'ResourceList');
export const RESOURCE_OK = (description: string) => ({ ...json(ResourceSchema, description), headers: ETAG_HEADER });
export const LIST_OK = { ...json(ResourceList, 'A page of resources.'), headers: LIST_HEADERS };

/** The form's text fields: the limits ResourceUploadFields checks; `attributes` is JSON text under the JSON limits. */
export const UPLOAD_FIELDS = {
  name: { type: 'string' as const, maxLength: RESOURCE_LIMITS.name, description: 'Defaults to the file’s own name.' },
  description: { type: 'string' as const, maxLength: RESOURCE_LIMITS.description },
  attributes: jsonTextField(`A JSON object (at most ${JSON_LIMITS.objectBytes} bytes of compact JSON), as JSON text.`),
  attach: {
    type: 'string' as const,
    maxLength: ATTACH_REF_MAX,
    description: `\`entity_type:id\` (e.g. \`project:prj_…\`); repeat the field for several entities (${ATTACH_MAX} at most).`,
  },
};

const BINARY = { schema: binary() };
const DOWNLOAD_RESPONSES = {
  200: { description: 'The file, streamed.', headers: DOWNLOAD_HEADERS.full, content: { '*/*': BINARY } },
  206: { description: 'The requested range.', headers: DOWNLOAD_HEADERS.partial, content: { '*/*': BINARY } },
  ...errorResponses(404),
  416: errorResponses(416)[416]!,
};

/**
 * A resource upload: the file, its metadata and the entities to attach it to (`within`, the
 * entity of the path, first). multipart/form-data, or the file itself as the body; each field
 * from the form or the query.
 */
export async function readResourceUpload(c: Context<AppEnv>, within?: service.Within) {
  const { input, file } = await readUpload(c, {
    fields: { name: 'text', description: 'text', attributes: 'json', attach: 'list' },
    schema: ResourceUploadFields,
    file: { part: 'file', required: true, raw: 'any', names: 'name' },
  });
  const targets: AttachTarget[] = [...(within ? [{ entityType: within.type, entityId: within.ref }] : []), ...(input.attach ?? []).map(parseAttachRef)];
  if (targets.length === 0) throw problems.invalid([{ path: 'attach', message: 'Required: at least one `entity_type:id` to attach the resource to.' }]);
  if (input.name === undefined) throw problems.invalid([{ path: 'name', message: 'Name the resource: a `name` field, X-File-Name or ?name=.' }]);
  return { file: file!, targets, meta: { name: input.name, description: input.description, attributes: input.attributes } };
}

export async function createFromUpload(c: Context<AppEnv>, within?: service.Within) {
  const { file, targets, meta } = await readResourceUpload(c, within);
  const created = await service.createResource(scopeOf(c), targets, meta, file);
  c.header('Location', `/v1/resources/${created.id}`);
  return entityJson(c, created, 201);
}

export const resourceRoutes = createRouter();

resourceRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'createResource',
    path: '/v1/resources',
    tags: ['Resources'],
    summary: 'Upload a resource and attach it to one or more entities (writers of each)',
    description:
      'multipart/form-data with a `file` part, `name`, `description`, `attributes` (JSON text) and one or more `attach` fields (`entity_type:id`); or the file itself as the body. Each field may come in the query instead, with either body (400 when given in both). ' +
      'The first entity’s organisation owns the bytes; the same bytes uploaded again in that organisation are stored once.',
    request: { query: uploadQuery, body: uploadBody(UPLOAD_FIELDS, ['attach']) },
    parameters: [FILE_NAME_HEADER],
    responses: { 201: RESOURCE_OK('Created.'), ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => createFromUpload(c),
);

resourceRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'listResources',
    path: '/v1/resources',
    tags: ['Resources'],
    summary: 'Every resource you may see',
    description: 'The resources attached to at least one entity you may see, filtered, searched (name and description) and ordered.',
    request: { query: resourceListQuery },
    responses: { 200: LIST_OK, ...errorResponses(400) },
  }),
  async (c) => {
    return listJson(c, await service.listResources(scopeOf(c), c.req.valid('query'), c.req.url));
  },
);

for (const e of ENTITY_ROUTES) {
  const param = entityParam(e);
  const ref = (c: Context) => (c.req.valid as (t: 'param') => Record<string, string>)('param')[e.param]!;
  resourceRoutes.openapi(
    authedRoute({
      method: 'post',
      operationId: `create${e.title}Resource`,
      path: `/v1/${e.segment}/{${e.param}}/resources`,
      tags: ['Resources'],
      summary: `Upload a resource attached to this ${e.type} (and any \`attach\` entities)`,
      description: 'As POST /v1/resources, with this entity as the first attachment.',
      request: { params: param, query: uploadQuery, body: uploadBody(UPLOAD_FIELDS) },
      parameters: [FILE_NAME_HEADER],
      responses: { 201: RESOURCE_OK('Created.'), ...errorResponses(400, 403, 404, 409) },
    }),
    async (c) => createFromUpload(c, { type: e.type, ref: ref(c) }),
  );
  resourceRoutes.openapi(
    authedRoute({
      method: 'get',
      operationId: `list${e.title}Resources`,
      path: `/v1/${e.segment}/{${e.param}}/resources`,
      tags: ['Resources'],
      summary: `The resources attached to this ${e.type}`,
      request: { params: param, query: resourceListQuery },
      responses: { 200: LIST_OK, ...errorResponses(400, 404) },
    }),
    async (c) => {
      return listJson(c, await service.listResources(scopeOf(c), c.req.valid('query'), c.req.url, { type: e.type, ref: ref(c) }));
    },
  );
}

resourceRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getResource',
    path: '/v1/resources/{resource}',
    tags: ['Resources'],
    summary: 'A resource',
    request: { params: resourceParam },
    responses: { 200: RESOURCE_OK('The resource.'), ...errorResponses(404) },
  }),
  async (c) => entityJson(c, await service.getResource(scopeOf(c), c.req.valid('param').resource)),
);

resourceRoutes.openapi(
  authedRoute({
    method: 'patch',
    operationId: 'updateResource',
    path: '/v1/resources/{resource}',
    tags: ['Resources'],
    summary: 'Change the name, description, attributes; archive or unarchive (writers of an attached entity of its organisation)',
    request: { params: resourceParam, body: jsonBody(ResourcePatchBody) },
    parameters: [IF_MATCH],
    responses: { 200: RESOURCE_OK('Updated.'), ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) =>
    entityJson(c, await service.updateResource(scopeOf(c), c.req.valid('param').resource, c.req.valid('json'), c.req.header('If-Match'))),
);

resourceRoutes.openapi(
  authedRoute({
    method: 'delete',
    operationId: 'deleteResource',
    path: '/v1/resources/{resource}',
    tags: ['Resources'],
    summary: 'Delete a resource (writers of an attached entity of its organisation; its bytes go when no other resource shares them)',
    request: { params: resourceParam },
    parameters: [IF_MATCH],
    responses: { 204: { description: 'Deleted.' }, ...errorResponses(403, 404, 409) },
  }),
  async (c) => {
    await service.deleteResource(scopeOf(c), c.req.valid('param').resource, c.req.header('If-Match'));
    return c.body(null, 204);
  },
);

resourceRoutes.openapi(
  authedRoute({
    method: 'put',
    operationId: 'putResourceFile',
    path: '/v1/resources/{resource}/file',
    tags: ['Resources'],
    summary: 'Replace the file (writers of an attached entity of its organisation; same id, new size, sha256 and ETag)',
    description: 'multipart/form-data with a `file`, or the file itself as the body.',
    request: { params: resourceParam, body: uploadBody({}) },
    parameters: [IF_MATCH],
    responses: { 200: RESOURCE_OK('The resource with its new file.'), ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => {
    const { file } = await readUpload(c, REPLACEMENT);
    return entityJson(c, await service.putResourceFile(scopeOf(c), c.req.valid('param').resource, file!, c.req.header('If-Match')));
  },
);

resourceRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'downloadResource',
    path: '/v1/resources/{resource}/download',
    tags: ['Resources'],
    summary: 'Download the file',
    request: { params: resourceParam },
    parameters: DOWNLOAD_PARAMETERS,
    responses: DOWNLOAD_RESPONSES,
  }),
  async (c) => service.resourceDownload(c, scopeOf(c), c.req.valid('param').resource),
);

resourceRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'attachResource',
    path: '/v1/resources/{resource}/attachments',
    tags: ['Resources'],
    summary: 'Attach a resource you may change to an entity you may write (also of another organisation)',
    description:
      'Seeing a resource is not enough: it belongs to the organisation that created it, and only writers of an entity of that organisation it is attached to may attach it elsewhere. Attaching it again answers the same state.',
    request: { params: resourceParam, body: jsonBody(AttachBody) },
    responses: { 200: RESOURCE_OK('The resource with its attachments.'), ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => {
    const body = c.req.valid('json');
    return entityJson(c, await service.attachResource(scopeOf(c), c.req.valid('param').resource, { entityType: body.entity_type, entityId: body.entity_id }));
  },
);

resourceRoutes.openapi(
  authedRoute({
    method: 'delete',
    operationId: 'detachResource',
    path: '/v1/resources/{resource}/attachments/{entity_type}/{entity_id}',
    tags: ['Resources'],
    summary: 'Detach a resource from an entity (writers of that entity, or of the resource); a resource left with none is deleted',
    request: { params: detachParams },
    responses: { 204: { description: 'Detached.' }, ...errorResponses(403, 404, 409) },
  }),
  async (c) => {
    const { resource, entity_type, entity_id } = c.req.valid('param');
    await service.detachResource(scopeOf(c), resource, { entityType: entity_type, entityId: entity_id });
    return c.body(null, 204);
  },
);
