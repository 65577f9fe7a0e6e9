import { z } from '@hono/zod-openapi';
import { scopeOf } from '../auth/caller';
import { entityJson } from '../http/etag';
import { readUpload } from '../storage/file-http';
import { LIST_HEADERS, listEnvelope, listQuerySchema, searchParam } from '../http/list';
import { authedRoute, ETAG_HEADER, IF_MATCH } from '../http/openapi';
import { errorResponses } from '../http/problem';
import { createRouter } from '../http/router';
import { json, jsonBody, pathParam, queryBool } from '../http/schemas';
import { LOGO_DOWNLOAD_RESPONSES, LOGO_FORM_PROPERTY, LOGO_UPLOAD_BODY, LOGO_UPLOAD_DESCRIPTION, logoOf, readLogoUpload } from '../storage/logo-http';
import { LOGO_MAX_BYTES } from '../storage/logos';
import { jsonTextField } from '../http/json-limits';
import { deleteProjectLogo, projectLogo, putProjectLogo } from './logo';
import * as members from './members';
import {
  ACCESS,
  NUMERIC_TEXT_MAX,
  PROJECT_LIMITS,
  PROJECT_ROLE,
  ProjectAccountBody,
  ProjectCreateBody,
  ProjectDetailSchema,
  ProjectMemberAddBody,
  ProjectMemberRoleBody,
  ProjectMemberSchema,
  NewProjectMemberSchema,
  ProjectPatchBody,
  ProjectPutBody,
  ProjectSchema,
} from './schemas';
import * as service from './service';
import { invitationHeaders, withInvitation } from '../users/schemas';
import { DOWNLOAD_PARAMETERS } from '../storage/objects';
import { listJson } from '../http/list-answer';

const projectParam = z.object({ project: pathParam('project', 'Project id (prj_…).', 'prj_01jd8z3b6q0w4y1r7k5t2m9xce') });
const orgParam = z.object({ org: pathParam('org', 'Organisation slug or id.', 'habitat') });
const memberParams = projectParam.extend({ user: pathParam('user', 'User id, username or email.', 'kieran') });

const listQuery = listQuerySchema(service.projectListSpec).extend({
  search: searchParam('Full-text search over name, description and the organisation name (every word, as a prefix).'),
  archived: queryBool,
  project_type: z.string().max(100).optional(),
  country: z.string().max(100).optional(),
  deleted: queryBool.openapi({ description: 'true: the trash of the organisations you administer.' }),
});

const FORM_FIELDS = {
  name: 'text',
  slug: 'text',
  description: 'text',
  country: 'text',
  location: 'text',
  lat: 'text',
  lon: 'text',
  project_type: 'text',
  access: 'text',
  urls: 'list',
  contacts: 'json',
} as const;

/** The form's text fields, with the JSON body's limits (the same schema checks them); JSON text under the JSON limits. */
const text = (maxLength: number, description?: string) => ({ type: 'string' as const, maxLength, ...(description ? { description } : {}) });
const MULTIPART_PROJECT = {
  type: 'object' as const,
  required: ['name'],
  properties: {
    name: text(PROJECT_LIMITS.name),
    slug: text(50),
    description: text(PROJECT_LIMITS.description),
    country: text(PROJECT_LIMITS.country),
    location: text(PROJECT_LIMITS.location),
    lat: text(NUMERIC_TEXT_MAX, 'Degrees, -90 to 90 (a decimal number).'),
    lon: text(NUMERIC_TEXT_MAX, 'Degrees, -180 to 180 (a decimal number).'),
    project_type: text(PROJECT_LIMITS.project_type),
    access: { type: 'string' as const, enum: [...ACCESS.options] },
    urls: jsonTextField('A JSON array of URLs, or one URL per `url` field.'),
    contacts: jsonTextField('A JSON array of h-cards.'),
    logo: LOGO_FORM_PROPERTY,
  },
} satisfies Record<string, unknown> & { properties: Record<keyof typeof FORM_FIELDS | 'logo', object> };

// The shape, not .extend(): the generator would emit allOf with the strict ProjectCreate, whose
// additionalProperties: false refuses the very field added here.
const ProjectCreateWithOrgBody = z
  .object({
    ...ProjectCreateBody.shape,
    organization: z.string().trim().min(1).max(254).openapi({ description: 'Slug or id of the organisation (seed 001 `team`).' }),
  })
  .strict()
  .openapi('ProjectCreateInOrganization');

const MOVE_DESCRIPTION =
  '`organization` (slug or id) moves the project to another organisation with its assets, their folders, data, spheres and reports, and ' +
  'its files (a superuser, or an admin of both organisations; 404 when the target is hidden from the caller). Members of the project ' +
  'who are not members of the target join it as members. 409 when its slug or one of its asset tags is taken there, or either side is archived: then nothing moves.';

export const projectRoutes = createRouter();

projectRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'listProjects',
    path: '/v1/projects',
    tags: ['Projects'],
    summary: 'Every project you may see',
    request: { query: listQuery.extend({ organization: z.string().max(254).optional().openapi({ description: 'Slug or id.' }) }) },
    responses: {
      200: { ...json(listEnvelope(ProjectSchema, 'ProjectList'), 'A page of projects.'), headers: LIST_HEADERS },
      ...errorResponses(400),
    },
  }),
  async (c) => {
    return listJson(c, await service.listProjects(scopeOf(c), c.req.valid('query'), c.req.url));
  },
);

projectRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'listOrganizationProjects',
    path: '/v1/organizations/{org}/projects',
    tags: ['Projects'],
    summary: "An organisation's projects that you may see",
    request: { params: orgParam, query: listQuery },
    responses: {
      200: { ...json(listEnvelope(ProjectSchema, 'ProjectList'), 'A page of projects.'), headers: LIST_HEADERS },
      ...errorResponses(400, 404),
    },
  }),
  async (c) => {
    return listJson(c, await service.listProjects(scopeOf(c), c.req.valid('query'), c.req.url, c.req.valid('param').org));
  },
);

projectRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'createOrganizationProject',
    path: '/v1/organizations/{org}/projects',
    tags: ['Projects'],
    summary: 'Create a project (you become its manager)',
    description: 'JSON, or multipart/form-data with a `logo` file as seed 002 sends it. Any member of the organisation may create one. 409 when the slug is taken in the organisation.',
    request: {
      params: orgParam,
      body: { required: false, content: { 'application/json': { schema: ProjectCreateBody }, 'multipart/form-data': { schema: MULTIPART_PROJECT } } },
    },
    responses: { 201: { ...json(ProjectDetailSchema, 'Created.'), headers: ETAG_HEADER }, ...errorResponses(400, 404, 409) },
  }),
  async (c) => {
    const { input, file } = await readUpload(c, {
      fields: FORM_FIELDS,
      schema: ProjectCreateBody,
      json: true,
      file: { part: 'logo', required: false, maxPartBytes: LOGO_MAX_BYTES },
      aliases: { urls: 'url' },
    });
    const project = await service.createProject(scopeOf(c), c.req.valid('param').org, input, logoOf(file));
    c.header('Location', `/v1/projects/${project.id}`);
    return entityJson(c, project, 201);
  },
);

projectRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'createProject',
    path: '/v1/projects',
    tags: ['Projects'],
    summary: 'Create a project, naming its organisation in the body',
    request: { body: jsonBody(ProjectCreateWithOrgBody) },
    responses: { 201: { ...json(ProjectDetailSchema, 'Created.'), headers: ETAG_HEADER }, ...errorResponses(400, 404, 409) },
  }),
  async (c) => {
    const { organization, ...input } = c.req.valid('json');
    const project = await service.createProject(scopeOf(c), organization, input);
    c.header('Location', `/v1/projects/${project.id}`);
    return entityJson(c, project, 201);
  },
);

projectRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getProject',
    path: '/v1/projects/{project}',
    tags: ['Projects'],
    summary: 'A project with its organisation and first members',
    request: { params: projectParam },
    responses: {
      200: { ...json(ProjectDetailSchema, 'The project.'), headers: ETAG_HEADER },
      ...errorResponses(404),
    },
  }),
  async (c) => entityJson(c, await service.getProject(scopeOf(c), c.req.valid('param').project)),
);

projectRoutes.openapi(
  authedRoute({
    method: 'patch',
    operationId: 'updateProject',
    path: '/v1/projects/{project}',
    tags: ['Projects'],
    summary: 'Change some fields; `archived` archives or unarchives (managers, org admins); `organization` moves it',
    description: 'An archived project and everything under it are read-only until it is unarchived. ' + MOVE_DESCRIPTION,
    request: { params: projectParam, body: jsonBody(ProjectPatchBody) },
    parameters: [IF_MATCH],
    responses: { 200: { ...json(ProjectDetailSchema, 'Updated.'), headers: ETAG_HEADER }, ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => entityJson(c, await service.updateProject(scopeOf(c), c.req.valid('param').project, c.req.valid('json'), c.req.header('If-Match'))),
);

projectRoutes.openapi(
  authedRoute({
    method: 'put',
    operationId: 'replaceProject',
    path: '/v1/projects/{project}',
    tags: ['Projects'],
    summary: 'Replace all fields (managers, org admins); `organization` moves it',
    description: MOVE_DESCRIPTION,
    request: { params: projectParam, body: jsonBody(ProjectPutBody) },
    parameters: [IF_MATCH],
    responses: { 200: { ...json(ProjectDetailSchema, 'Replaced.'), headers: ETAG_HEADER }, ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => entityJson(c, await service.updateProject(scopeOf(c), c.req.valid('param').project, c.req.valid('json'), c.req.header('If-Match'))),
);

projectRoutes.openapi(
  authedRoute({
    method: 'delete',
    operationId: 'deleteProject',
    path: '/v1/projects/{project}',
    tags: ['Projects'],
    summary: 'Move to the trash (managers, org admins), or purge with permanent=true (org admins)',
    description: 'A purge removes the project, everything under it and their files, for good.',
    request: {
      params: projectParam,
      query: z.object({ permanent: queryBool.openapi({ description: 'true: delete for good, from the trash or not.' }) }),
    },
    parameters: [IF_MATCH],
    responses: { 204: { description: 'Deleted.' }, ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => {
    await service.deleteProject(scopeOf(c), c.req.valid('param').project, c.req.valid('query').permanent ?? false, c.req.header('If-Match'));
    return c.body(null, 204);
  },
);

projectRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'restoreProject',
    path: '/v1/projects/{project}/restore',
    tags: ['Projects'],
    summary: 'Take a project out of the trash (org admins)',
    request: { params: projectParam },
    responses: { 200: { ...json(ProjectDetailSchema, 'Restored.'), headers: ETAG_HEADER }, ...errorResponses(403, 404, 409) },
  }),
  async (c) => entityJson(c, await service.restoreProject(scopeOf(c), c.req.valid('param').project)),
);

projectRoutes.openapi(
  authedRoute({
    method: 'put',
    operationId: 'putProjectLogo',
    path: '/v1/projects/{project}/logo',
    tags: ['Projects'],
    summary: 'Upload or replace the logo (managers, org admins)',
    description: LOGO_UPLOAD_DESCRIPTION,
    request: { params: projectParam, body: LOGO_UPLOAD_BODY },
    responses: { 200: { ...json(ProjectDetailSchema, 'The project with its new logo.'), headers: ETAG_HEADER }, ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => {
    const logo = await readLogoUpload(c);
    return entityJson(c, await putProjectLogo(scopeOf(c), c.req.valid('param').project, logo));
  },
);

projectRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getProjectLogo',
    path: '/v1/projects/{project}/logo',
    tags: ['Projects'],
    summary: 'Download the logo',
    request: { params: projectParam },
    parameters: DOWNLOAD_PARAMETERS,
    responses: LOGO_DOWNLOAD_RESPONSES,
  }),
  async (c) => projectLogo(c, scopeOf(c), c.req.valid('param').project),
);

projectRoutes.openapi(
  authedRoute({
    method: 'delete',
    operationId: 'deleteProjectLogo',
    path: '/v1/projects/{project}/logo',
    tags: ['Projects'],
    summary: 'Remove the logo (managers, org admins)',
    request: { params: projectParam },
    responses: { 204: { description: 'Removed.' }, ...errorResponses(403, 404, 409) },
  }),
  async (c) => {
    await deleteProjectLogo(scopeOf(c), c.req.valid('param').project);
    return c.body(null, 204);
  },
);

projectRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'listProjectMembers',
    path: '/v1/projects/{project}/members',
    tags: ['Projects'],
    summary: 'Project members and their roles',
    request: { params: projectParam, query: listQuerySchema(members.projectMemberListSpec).extend({ role: PROJECT_ROLE.optional() }) },
    responses: {
      200: { ...json(listEnvelope(ProjectMemberSchema, 'ProjectMemberList'), 'A page of members.'), headers: LIST_HEADERS },
      ...errorResponses(400, 404),
    },
  }),
  async (c) => {
    return listJson(c, await members.listProjectMembers(scopeOf(c), c.req.valid('param').project, c.req.valid('query'), c.req.url));
  },
);

projectRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'addProjectMember',
    path: '/v1/projects/{project}/members',
    tags: ['Projects'],
    summary: 'Add an existing account, by id, username or email (managers, org admins)',
    description:
      'The account must belong to the organisation, unless an org admin adds it (it then joins the organisation as a member). ' +
      'An account the caller may not see answers 404 exactly as one that does not exist. Of parallel adds of one account, one answers 201 and the others 409.',
    request: { params: projectParam, body: jsonBody(ProjectMemberAddBody) },
    responses: { 201: json(ProjectMemberSchema, 'Added.'), ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => c.json(await members.addProjectMember(scopeOf(c), c.req.valid('param').project, c.req.valid('json')), 201),
);

projectRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'createProjectAccount',
    path: '/v1/projects/{project}/users',
    tags: ['Projects'],
    summary: 'Create a new account straight into the project and its organisation (org admins)',
    request: { params: projectParam, body: jsonBody(ProjectAccountBody) },
    responses: { 201: json(NewProjectMemberSchema, 'Created and added; without a password, with its invitation.'), ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => {
    const { member, invitation } = await members.createProjectAccount(scopeOf(c), c.req.valid('param').project, c.req.valid('json'));
    return c.json(withInvitation(member, invitation), 201, invitationHeaders(invitation));
  },
);

projectRoutes.openapi(
  authedRoute({
    method: 'patch',
    operationId: 'changeProjectMemberRole',
    path: '/v1/projects/{project}/members/{user}',
    tags: ['Projects'],
    summary: "Change a member's role (managers, org admins)",
    request: { params: memberParams, body: jsonBody(ProjectMemberRoleBody) },
    responses: { 200: json(ProjectMemberSchema, 'Changed.'), ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => {
    const { project, user } = c.req.valid('param');
    return c.json(await members.changeProjectRole(scopeOf(c), project, user, c.req.valid('json').role), 200);
  },
);

projectRoutes.openapi(
  authedRoute({
    method: 'delete',
    operationId: 'removeProjectMember',
    path: '/v1/projects/{project}/members/{user}',
    tags: ['Projects'],
    summary: 'Remove from the project; the account stays (managers, org admins; a member may leave)',
    description: 'To delete the account itself, see DELETE /v1/users/{user} (a superuser, or an admin of the organisation that created it).',
    request: { params: memberParams },
    responses: { 204: { description: 'Removed.' }, ...errorResponses(403, 404, 409) },
  }),
  async (c) => {
    const { project, user } = c.req.valid('param');
    await members.removeProjectMember(scopeOf(c), project, user);
    return c.body(null, 204);
  },
);
