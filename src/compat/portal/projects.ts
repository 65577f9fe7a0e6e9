/**
 * Projects (seed 000): `/project_management/projects/`, a DRF ModelViewSet over /v1's project
 * service. Ids are project numbers; `company` is the organisation's number.
 */
import { z } from '@hono/zod-openapi';
import { scopeOf } from '../../auth/caller';
import { idOfNumber } from '../../db/numbers';
import { entityJson } from '../../http/etag';
import { listJson } from '../../http/list-answer';
import { ETAG_HEADER } from '../../http/openapi';
import { createRouter } from '../../http/router';
import { json, jsonBody } from '../../http/schemas';
import { LAT, LON, PROJECT_LIMITS } from '../../projects/schemas';
import { createProject, deleteProject, getProjectWithAssets, listProjects, updateProject } from '../../projects/service';
import { drfListQuery, drfPage, drfPageSchema } from '../drf';
import { numberInput, numberParam } from '../values';
import { portal } from './dialect';
import { project, PROJECT_ASSETS_EMBEDDED, projectListItem, ProjectListItemSchema, ProjectSchema } from './render';

const TEXT = (max: number) => z.string().trim().max(max);

const fields = {
  name: z.string().trim().min(1).max(PROJECT_LIMITS.name),
  location: TEXT(PROJECT_LIMITS.location).optional(),
  lat: LAT.optional(),
  lon: LON.optional(),
  project_type: TEXT(PROJECT_LIMITS.project_type).optional(),
  description: TEXT(PROJECT_LIMITS.description).optional(),
};

const ProjectCreateBody = z
  .object({ ...fields, company: numberInput().openapi({ description: 'The company (organisation) id; any member of it may create a project.' }) })
  .strict()
  .openapi('ProjectCreate');

const ProjectPatchBody = z
  .object({ ...fields, name: fields.name.optional() })
  .strict()
  .openapi('ProjectPatch');

const params = z.object({ project_id: numberParam('project_id', 'The project’s id.') });
const projectRef = (c: { req: { valid(t: 'param'): { project_id: number } } }) => idOfNumber('project', c.req.valid('param').project_id);

export const projectRoutes = createRouter();

projectRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'listProjects',
    path: '/project_management/projects/',
    tags: ['Projects'],
    summary: 'The projects you may see, by name',
    request: { query: drfListQuery },
    responses: { 200: json(drfPageSchema(ProjectListItemSchema, 'ProjectList'), 'A page of projects.') },
  }),
  async (c) => {
    const q = c.req.valid('query');
    return listJson(c, await listProjects(scopeOf(c), q, c.req.url), drfPage(c, q, projectListItem));
  },
);

projectRoutes.openapi(
  portal.authedRoute({
    method: 'post',
    operationId: 'createProject',
    path: '/project_management/projects/',
    tags: ['Projects'],
    summary: 'Create a project in a company; you become its manager',
    request: { body: jsonBody(ProjectCreateBody) },
    responses: { 201: json(ProjectSchema, 'Created.'), ...portal.errorResponses(403, 404, 409) },
  }),
  async (c) => {
    const { company, ...input } = c.req.valid('json');
    const created = await createProject(scopeOf(c), idOfNumber('organization', company), input);
    return c.json(project(created, []), 201);
  },
);

projectRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'getProject',
    path: '/project_management/projects/{project_id}/',
    tags: ['Projects'],
    summary: 'A project with its users and assets',
    request: { params },
    responses: { 200: { ...json(ProjectSchema, 'The project.'), headers: ETAG_HEADER }, ...portal.errorResponses(404) },
  }),
  async (c) => {
    const { project: p, assets } = await getProjectWithAssets(scopeOf(c), projectRef(c), PROJECT_ASSETS_EMBEDDED);
    return entityJson(c, project(p, assets));
  },
);

projectRoutes.openapi(
  portal.authedRoute({
    method: 'patch',
    operationId: 'updateProject',
    // Without the slash, as the seed writes it (the path with it answers the same).
    path: '/project_management/projects/{project_id}',
    tags: ['Projects'],
    summary: 'Change some fields (managers of the project, company admins)',
    request: { params, body: jsonBody(ProjectPatchBody) },
    responses: { 200: json(ProjectSchema, 'The project.'), ...portal.errorResponses(403, 404, 409) },
  }),
  async (c) => {
    const updated = await updateProject(scopeOf(c), projectRef(c), c.req.valid('json'), undefined, PROJECT_ASSETS_EMBEDDED);
    return c.json(project(updated, updated.assets ?? []), 200);
  },
);

projectRoutes.openapi(
  portal.authedRoute({
    method: 'delete',
    operationId: 'deleteProject',
    path: '/project_management/projects/{project_id}/',
    tags: ['Projects'],
    summary: 'Move the project to the trash (managers, company admins); a company admin restores it through /v1',
    request: { params },
    responses: { 204: { description: 'In the trash.' }, ...portal.errorResponses(403, 404, 409) },
  }),
  async (c) => {
    await deleteProject(scopeOf(c), projectRef(c), false, undefined);
    return c.body(null, 204);
  },
);
