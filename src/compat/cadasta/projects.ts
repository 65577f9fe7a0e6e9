/**
 * Projects (seed 002): `/organizations/{slug}/projects/`, over /v1's project service. Projects are
 * addressed by their slug in the organisation's; `organization` in a create names the path's own
 * organisation (by name or slug) or answers 400.
 */
import { z } from '@hono/zod-openapi';
import { scopeOf } from '../../auth/caller';
import { listJson } from '../../http/list-answer';
import { binary } from '../../http/openapi';
import { createRouter } from '../../http/router';
import { json } from '../../http/schemas';
import { jsonTextField } from '../../http/json-limits';
import { ProjectCreateBody, PROJECT_LIMITS } from '../../projects/schemas';
import { createProject, getProject, listProjects } from '../../projects/service';
import { readUpload } from '../../storage/file-http';
import { logoOf } from '../../storage/logo-http';
import { LOGO_MAX_BYTES } from '../../storage/logos';
import { cadasta } from './dialect';
import { arrayOk, arrayPage, listQuery, serviceQuery } from './list';
import { orgParams, projectOf, projectParams } from './params';
import { CadastaNewProjectSchema, CadastaProjectSchema, project, user } from './render';

const query = listQuery('Projects whose name, description or organisation name holds every word (as a prefix).', ['name', '-name']);

const CreateBody = z
  .object({
    name: ProjectCreateBody.shape.name,
    slug: ProjectCreateBody.shape.slug,
    description: ProjectCreateBody.shape.description,
    country: ProjectCreateBody.shape.country,
    urls: ProjectCreateBody.shape.urls,
    contacts: ProjectCreateBody.shape.contacts,
    access: ProjectCreateBody.shape.access,
    organization: z.string().trim().min(1).max(254).optional().openapi({ description: 'The organisation of the path, by name or slug (another answers 400).' }),
  })
  .strict()
  .openapi('CadastaProjectCreate');

const FORM_FIELDS = { name: 'text', slug: 'text', description: 'text', country: 'text', urls: 'list', contacts: 'json', access: 'text', organization: 'text' } as const;

const text = (maxLength: number, description?: string) => ({ type: 'string' as const, maxLength, ...(description ? { description } : {}) });
const MULTIPART = {
  type: 'object' as const,
  required: ['name'],
  properties: {
    name: text(PROJECT_LIMITS.name),
    slug: text(50, 'Derived from the name when left out.'),
    description: text(PROJECT_LIMITS.description),
    organization: text(254, 'The organisation of the path, by name or slug.'),
    country: text(PROJECT_LIMITS.country),
    url: { type: 'array' as const, maxItems: PROJECT_LIMITS.urls, items: text(PROJECT_LIMITS.url), description: 'A URL; repeat the field for several.' },
    contacts: jsonTextField('A JSON array of h-cards.'),
    access: { type: 'string' as const, enum: ['private', 'organization'] },
    logo: binary(`PNG, JPEG, GIF or WebP, at most ${LOGO_MAX_BYTES} bytes.`),
  },
};

export const projectRoutes = createRouter();

projectRoutes.openapi(
  cadasta.authedRoute({
    method: 'get',
    operationId: 'listProjects',
    path: '/organizations/{organization_slug}/projects/',
    tags: ['Projects'],
    summary: 'The organisation’s projects that you may see',
    request: { params: orgParams, query },
    responses: { 200: arrayOk(CadastaProjectSchema, 'CadastaProjectList', 'A page of projects.'), ...cadasta.errorResponses(404) },
  }),
  async (c) => {
    const q = serviceQuery(c.req.valid('query'));
    const page = await listProjects(scopeOf(c), q, c.req.url, c.req.valid('param').organization_slug);
    return listJson(c, page, arrayPage(c, q, (p) => project(c, p)));
  },
);

projectRoutes.openapi(
  cadasta.authedRoute({
    method: 'post',
    operationId: 'createProject',
    path: '/organizations/{organization_slug}/projects/',
    tags: ['Projects'],
    summary: 'Create a project (any member of the organisation; you become its manager)',
    description: 'multipart/form-data as seed 002 sends it (`url` repeated, `contacts` as JSON text, a `logo` file), or JSON.',
    request: { params: orgParams, body: { required: false, content: { 'multipart/form-data': { schema: MULTIPART }, 'application/json': { schema: CreateBody } } } },
    responses: { 201: json(CadastaNewProjectSchema, 'Created.'), ...cadasta.errorResponses(404, 409) },
  }),
  async (c) => {
    const { input, file } = await readUpload(c, {
      fields: FORM_FIELDS,
      schema: CreateBody,
      json: true,
      file: { part: 'logo', required: false, maxPartBytes: LOGO_MAX_BYTES },
      aliases: { urls: 'url' },
    });
    const { organization, ...fields } = input;
    const created = await createProject(scopeOf(c), c.req.valid('param').organization_slug, fields, logoOf(file), organization);
    return c.json({ ...project(c, created), users: created.members.map((m) => user(m.user)) }, 201);
  },
);

projectRoutes.openapi(
  cadasta.authedRoute({
    method: 'get',
    operationId: 'getProject',
    path: '/organizations/{organization_slug}/projects/{project_slug}/',
    tags: ['Projects'],
    summary: 'A project',
    request: { params: projectParams },
    responses: { 200: json(CadastaProjectSchema, 'The project.'), ...cadasta.errorResponses(404) },
  }),
  async (c) => c.json(project(c, await getProject(scopeOf(c), projectOf(c.req.valid('param')))), 200),
);
