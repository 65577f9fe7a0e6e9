/**
 * Resources (seed 004): every resource you may see (`/resources/`), one by its id, and those of an
 * organisation or a project (by slugs; the seed's singular `project` and `projects` alike), over
 * /v1's resource service: one resource attached to several entities keeps one id and is listed
 * under each, with that entity's `entity_type`.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { scopeOf } from '../../auth/caller';
import type { ResourceEntityType } from '../../db/schema';
import type { AppEnv } from '../../http/context';
import { jsonTextField } from '../../http/json-limits';
import { listJson } from '../../http/list-answer';
import { binary } from '../../http/openapi';
import { createRouter } from '../../http/router';
import { json, queryBool } from '../../http/schemas';
import { onlyOrganizationOf } from '../../organizations/access';
import { RESOURCE_LIMITS, ResourcePatchBody, ResourceUploadFields, type AttachTarget } from '../../resources/schemas';
import { createResource, deleteResource, getResource, listResources, updateResource, type Within } from '../../resources/service';
import { readUpload } from '../../storage/file-http';
import { cadasta } from './dialect';
import { arrayOk, arrayPage, listQuery, serviceQuery } from './list';
import { orgParams, projectOf, projectParams, resourceParams } from './params';
import { CadastaResourceSchema, resource } from './render';

const query = listQuery('Resources whose name or description contains this text (case-insensitive).', ['name', '-name']).extend({
  active: queryBool.openapi({ description: 'true: the resources not archived; false: the archived ones.' }),
});

const NOT_FOUND = 'Resource does not exist';
const CREATE_MESSAGES = { 403: 'You are not allowed to create new resources.' };

const CreateFields = z
  .object({
    name: ResourceUploadFields.shape.name.unwrap(),
    description: ResourceUploadFields.shape.description,
    attributes: ResourceUploadFields.shape.attributes,
  })
  .strict();
const CreateFieldsWithOrganization = CreateFields.extend({
  organization: z.string().trim().min(1).max(254).optional(),
}).strict();

const text = (maxLength: number, description?: string) => ({ type: 'string' as const, maxLength, ...(description ? { description } : {}) });
const createBody = (organization: boolean) => ({
  required: true,
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object' as const,
        required: ['name', 'resource'],
        properties: {
          name: text(RESOURCE_LIMITS.name),
          description: text(RESOURCE_LIMITS.description),
          attributes: jsonTextField('A JSON object, as JSON text.'),
          ...(organization ? { organization: text(254, 'The organisation’s slug; your only organisation when left out.') } : {}),
          resource: binary('The file.'),
        },
      },
    },
  },
});

/** PATCH as a form or JSON: `archived` also as the text a form sends. */
const PatchBody = ResourcePatchBody.extend({
  archived: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).optional().openapi({ type: ['boolean', 'string'], enum: [true, false, 'true', 'false'] }),
})
  .strict()
  .openapi('CadastaResourcePatch');

const PATCH_FORM = {
  type: 'object' as const,
  properties: {
    name: text(RESOURCE_LIMITS.name),
    description: text(RESOURCE_LIMITS.description),
    archived: { type: 'string' as const, enum: ['true', 'false'] },
    attributes: jsonTextField('A JSON object, as JSON text.'),
  },
};

/** Reads a create's form and stores the resource attached to `target`, or to the form's `organization`. */
async function create(c: Context<AppEnv>, target: AttachTarget | undefined, entityType: ResourceEntityType | undefined) {
  const { input, file } = await readUpload(c, {
    fields: { name: 'text', description: 'text', attributes: 'json', ...(target ? {} : { organization: 'text' }) },
    schema: target ? CreateFields : CreateFieldsWithOrganization,
    file: { part: 'resource', required: true },
  });
  const { organization, ...meta } = input as z.infer<typeof CreateFieldsWithOrganization>;
  const to: AttachTarget = target ?? (organization ? { entityType: 'organization', entityId: organization } : { entityType: 'organization', entityId: onlyOrganizationOf(), unnamed: 'organization' });
  const created = await createResource(scopeOf(c), [to], meta, file!);
  return c.json(resource(c, created, entityType ?? to.entityType), 201);
}

export const resourceRoutes = createRouter();

resourceRoutes.openapi(
  cadasta.authedRoute({
    method: 'get',
    operationId: 'listResources',
    path: '/resources/',
    tags: ['Resources'],
    summary: 'Every resource you may see ([] when none)',
    request: { query },
    responses: { 200: arrayOk(CadastaResourceSchema, 'CadastaResourceList', 'A page of resources.') },
  }),
  async (c) => {
    const { active, ...rest } = c.req.valid('query');
    const q = serviceQuery(rest);
    return listJson(c, await listResources(scopeOf(c), { ...q, active }, c.req.url), arrayPage(c, q, (r) => resource(c, r)));
  },
);

resourceRoutes.openapi(
  cadasta.authedRoute({
    method: 'post',
    operationId: 'createResource',
    path: '/resources/',
    tags: ['Resources'],
    summary: 'Upload a resource to an organisation (its admins): the `organization` field’s, or your only one',
    request: { body: createBody(true) },
    errorMessages: CREATE_MESSAGES,
    responses: { 201: json(CadastaResourceSchema, 'Created.'), ...cadasta.errorResponses(403, 404, 409) },
  }),
  async (c) => create(c, undefined, undefined),
);

resourceRoutes.openapi(
  cadasta.authedRoute({
    method: 'get',
    operationId: 'getResource',
    path: '/resources/{resource_id}/',
    tags: ['Resources'],
    summary: 'A resource',
    request: { params: resourceParams },
    errorMessages: { 404: NOT_FOUND },
    responses: { 200: json(CadastaResourceSchema, 'The resource.'), ...cadasta.errorResponses(404) },
  }),
  async (c) => c.json(resource(c, await getResource(scopeOf(c), c.req.valid('param').resource_id)), 200),
);

resourceRoutes.openapi(
  cadasta.authedRoute({
    method: 'patch',
    operationId: 'updateResource',
    path: '/resources/{resource_id}/',
    tags: ['Resources'],
    summary: 'Change the name, description, attributes; archive or unarchive (writers of an entity it is attached to in its organisation)',
    request: { params: resourceParams, body: { required: false, content: { 'multipart/form-data': { schema: PATCH_FORM }, 'application/json': { schema: PatchBody } } } },
    errorMessages: { 403: 'You are not allowed to update the resource.', 404: NOT_FOUND },
    responses: { 200: json(CadastaResourceSchema, 'The resource.'), ...cadasta.errorResponses(403, 404, 409) },
  }),
  async (c) => {
    const { input } = await readUpload(c, { fields: { name: 'text', description: 'text', archived: 'text', attributes: 'json' }, schema: PatchBody, json: true });
    return c.json(resource(c, await updateResource(scopeOf(c), c.req.valid('param').resource_id, input, undefined)), 200);
  },
);

resourceRoutes.openapi(
  cadasta.authedRoute({
    method: 'delete',
    operationId: 'deleteResource',
    path: '/resources/{resource_id}/',
    tags: ['Resources'],
    summary: 'Delete a resource (writers of an entity it is attached to in its organisation)',
    request: { params: resourceParams },
    errorMessages: { 403: 'You are not allowed to delete the resource.', 404: NOT_FOUND },
    responses: { 204: { description: 'Deleted.' }, ...cadasta.errorResponses(403, 404, 409) },
  }),
  async (c) => {
    await deleteResource(scopeOf(c), c.req.valid('param').resource_id, undefined);
    return c.body(null, 204);
  },
);

/** The lists and creates of one entity's resources. */
function entityResources(path: string, operation: string, params: typeof orgParams | typeof projectParams, within: (p: never) => Within, title: string) {
  resourceRoutes.openapi(
    cadasta.authedRoute({
      method: 'get',
      operationId: `list${operation}Resources`,
      path,
      tags: ['Resources'],
      summary: `The resources of ${title}`,
      request: { params, query },
      responses: { 200: arrayOk(CadastaResourceSchema, 'CadastaResourceList', 'A page of resources.'), ...cadasta.errorResponses(404) },
    }),
    async (c) => {
      const { active, ...rest } = c.req.valid('query') as z.infer<typeof query>;
      const q = serviceQuery(rest);
      const w = within(c.req.valid('param') as never);
      return listJson(c, await listResources(scopeOf(c), { ...q, active }, c.req.url, w), arrayPage(c, q, (r) => resource(c, r, w.type)));
    },
  );
  resourceRoutes.openapi(
    cadasta.authedRoute({
      method: 'post',
      operationId: `create${operation}Resource`,
      path,
      tags: ['Resources'],
      summary: `Upload a resource to ${title} (its writers)`,
      request: { params, body: createBody(false) },
      errorMessages: CREATE_MESSAGES,
      responses: { 201: json(CadastaResourceSchema, 'Created.'), ...cadasta.errorResponses(403, 404, 409) },
    }),
    async (c) => {
      const w = within(c.req.valid('param') as never);
      return create(c, { entityType: w.type, entityId: w.ref }, w.type);
    },
  );
}

entityResources('/organizations/{organization_slug}/resources/', 'Organization', orgParams, (p: z.infer<typeof orgParams>) => ({ type: 'organization', ref: p.organization_slug }), 'an organisation');
// The seed writes the singular `project` (and no trailing slash); `projects` answers the same.
for (const [segment, name] of [['project', 'Project'], ['projects', 'ProjectAlias']] as const) {
  entityResources(`/organizations/{organization_slug}/${segment}/{project_slug}/resources`, name, projectParams, (p: z.infer<typeof projectParams>) => ({ type: 'project', ref: projectOf(p) }), 'a project');
}
