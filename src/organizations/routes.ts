import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { scopeOf } from '../auth/caller';
import type { AppEnv } from '../http/context';
import { entityJson } from '../http/etag';
import { LIST_HEADERS, listEnvelope, listQuerySchema, searchParam } from '../http/list';
import { formValue, isMultipart, readBoundedBody, readMultipart } from '../http/multipart';
import { authedRoute, ETAG_HEADER, IF_MATCH } from '../http/openapi';
import { errorResponses, problems } from '../http/problem';
import { createRouter, fieldErrors } from '../http/router';
import { json, jsonBody, pathParam, queryBool } from '../http/schemas';
import { LOGO_TYPES } from '../storage/sniff';
import { deleteLogo, LOGO_MAX_BYTES, logoResponse, putLogo, type NewLogo } from './logo';
import * as members from './members';
import {
  MemberAccountBody,
  MemberAddBody,
  MemberRoleBody,
  MemberSchema,
  OrganizationCreateBody,
  OrganizationPatchBody,
  OrganizationPutBody,
  OrganizationSchema,
  ROLE,
} from './schemas';
import * as orgs from './service';

const orgParam = z.object({ org: pathParam('org', 'Organisation slug or id.', 'habitat') });
const memberParams = orgParam.extend({ user: pathParam('user', 'User id, username or email.', 'kieran') });

const MULTIPART_ORG = {
  type: 'object' as const,
  required: ['name'],
  properties: {
    name: { type: 'string' as const },
    slug: { type: 'string' as const },
    short_name: { type: 'string' as const },
    description: { type: 'string' as const },
    urls: { type: 'string' as const, description: 'A JSON array of URLs, or one URL per `url` field.' },
    contacts: { type: 'string' as const, description: 'A JSON array of h-cards.' },
    logo: { type: 'string' as const, format: 'binary', description: `PNG, JPEG, GIF or WebP, at most ${LOGO_MAX_BYTES} bytes.` },
  },
};

const MULTIPART_LOGO = {
  type: 'object' as const,
  required: ['logo'],
  properties: { logo: { type: 'string' as const, format: 'binary' } },
};

export const organizationRoutes = createRouter();

organizationRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'listOrganizations',
    path: '/v1/organizations',
    tags: ['Organizations'],
    summary: 'Organisations you belong to (all of them for a superuser)',
    request: {
      query: listQuerySchema(orgs.organizationListSpec).extend({
        search: searchParam('Matches name, slug, short name and description.'),
        archived: queryBool,
      }),
    },
    responses: {
      200: { ...json(listEnvelope(OrganizationSchema, 'OrganizationList'), 'A page of organisations.'), headers: LIST_HEADERS },
      ...errorResponses(400),
    },
  }),
  async (c) => {
    const { link, ...page } = await orgs.listOrganizations(scopeOf(c), c.req.valid('query'), c.req.url);
    return c.json(page, 200, { Link: link });
  },
);

function logoOf(file: { filename: string; mediaType: string; bytes: Uint8Array } | undefined): NewLogo | undefined {
  return file ? { filename: file.filename, mediaType: file.mediaType, bytes: file.bytes } : undefined;
}

/** seed 002 creates with multipart/form-data (fields plus a logo file); JSON works too. */
async function readCreate(c: Context<AppEnv>) {
  if (!isMultipart(c.req.header('Content-Type'))) {
    // The route's validator has parsed a JSON body already (hono caches it); no body reads as {}.
    const body: unknown = c.req.header('Content-Type') ? await c.req.json() : {};
    const parsed = OrganizationCreateBody.safeParse(body);
    if (!parsed.success) throw problems.invalid(fieldErrors(parsed.error), 'The request body is not valid.');
    return { input: parsed.data, logo: undefined };
  }
  const form = await readMultipart(c.req.raw, LOGO_MAX_BYTES);
  const urls = formValue(form, 'urls', 'json') ?? formValue(form, 'url', 'text');
  const candidate = Object.fromEntries(
    Object.entries({
      name: formValue(form, 'name', 'text'),
      slug: formValue(form, 'slug', 'text'),
      short_name: formValue(form, 'short_name', 'text'),
      description: formValue(form, 'description', 'text'),
      urls: typeof urls === 'string' ? [urls] : urls,
      contacts: formValue(form, 'contacts', 'json'),
    }).filter(([, v]) => v !== undefined),
  );
  const parsed = OrganizationCreateBody.safeParse(candidate);
  if (!parsed.success) throw problems.invalid(fieldErrors(parsed.error), 'The request body is not valid.');
  return { input: parsed.data, logo: logoOf(form.files.logo) };
}

organizationRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'createOrganization',
    path: '/v1/organizations',
    tags: ['Organizations'],
    summary: 'Create an organisation (you become its admin)',
    description: 'JSON, or multipart/form-data with a `logo` file as seed 002 sends it. 409 when the slug is taken.',
    request: {
      body: {
        required: false,
        content: { 'application/json': { schema: OrganizationCreateBody }, 'multipart/form-data': { schema: MULTIPART_ORG } },
      },
    },
    responses: {
      201: { ...json(OrganizationSchema, 'Created.'), headers: ETAG_HEADER },
      ...errorResponses(400, 409, 413, 415),
    },
  }),
  async (c) => {
    const { input, logo } = await readCreate(c);
    const org = await orgs.createOrganization(scopeOf(c), input, logo);
    c.header('Location', `/v1/organizations/${org.slug}`);
    return entityJson(c, org, 201);
  },
);

organizationRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getOrganization',
    path: '/v1/organizations/{org}',
    tags: ['Organizations'],
    summary: 'An organisation, by slug or id',
    request: { params: orgParam },
    responses: {
      200: { ...json(OrganizationSchema, 'The organisation.'), headers: ETAG_HEADER },
      304: { description: 'Not modified.' },
      ...errorResponses(404),
    },
  }),
  async (c) => entityJson(c, await orgs.getOrganization(scopeOf(c), c.req.valid('param').org)),
);

organizationRoutes.openapi(
  authedRoute({
    method: 'patch',
    operationId: 'updateOrganization',
    path: '/v1/organizations/{org}',
    tags: ['Organizations'],
    summary: 'Change some fields; `archived` archives or unarchives (admin)',
    request: { params: orgParam, body: jsonBody(OrganizationPatchBody) },
    parameters: [IF_MATCH],
    responses: {
      200: { ...json(OrganizationSchema, 'Updated.'), headers: ETAG_HEADER },
      ...errorResponses(400, 403, 404, 409, 412, 413, 415),
    },
  }),
  async (c) =>
    entityJson(c, await orgs.updateOrganization(scopeOf(c), c.req.valid('param').org, c.req.valid('json'), c.req.header('If-Match'))),
);

organizationRoutes.openapi(
  authedRoute({
    method: 'put',
    operationId: 'replaceOrganization',
    path: '/v1/organizations/{org}',
    tags: ['Organizations'],
    summary: 'Replace all fields (admin)',
    request: { params: orgParam, body: jsonBody(OrganizationPutBody) },
    parameters: [IF_MATCH],
    responses: {
      200: { ...json(OrganizationSchema, 'Replaced.'), headers: ETAG_HEADER },
      ...errorResponses(400, 403, 404, 409, 412, 413, 415),
    },
  }),
  async (c) =>
    entityJson(c, await orgs.updateOrganization(scopeOf(c), c.req.valid('param').org, c.req.valid('json'), c.req.header('If-Match'))),
);

organizationRoutes.openapi(
  authedRoute({
    method: 'delete',
    operationId: 'deleteOrganization',
    path: '/v1/organizations/{org}',
    tags: ['Organizations'],
    summary: 'Delete an organisation with its memberships and files (admin)',
    request: { params: orgParam },
    parameters: [IF_MATCH],
    responses: { 204: { description: 'Deleted.' }, ...errorResponses(403, 404, 409, 412) },
  }),
  async (c) => {
    await orgs.deleteOrganization(scopeOf(c), c.req.valid('param').org, c.req.header('If-Match'));
    return c.body(null, 204);
  },
);

organizationRoutes.openapi(
  authedRoute({
    method: 'put',
    operationId: 'putOrganizationLogo',
    path: '/v1/organizations/{org}/logo',
    tags: ['Organizations'],
    summary: 'Upload or replace the logo (admin)',
    description: `multipart/form-data with a \`logo\` file, or the image itself as the body. PNG, JPEG, GIF or WebP (checked against the content), at most ${LOGO_MAX_BYTES} bytes.`,
    request: {
      params: orgParam,
      body: {
        required: true,
        content: {
          'multipart/form-data': { schema: MULTIPART_LOGO },
          ...Object.fromEntries(LOGO_TYPES.map((t) => [t, { schema: { type: 'string' as const, format: 'binary' } }])),
        },
      },
    },
    responses: {
      200: { ...json(OrganizationSchema, 'The organisation with its new logo.'), headers: ETAG_HEADER },
      ...errorResponses(400, 403, 404, 409, 413, 415),
    },
  }),
  async (c) => {
    const contentType = c.req.header('Content-Type') ?? '';
    let logo: NewLogo | undefined;
    if (isMultipart(contentType)) {
      logo = logoOf((await readMultipart(c.req.raw, LOGO_MAX_BYTES)).files.logo);
      if (!logo) throw problems.invalid([{ path: 'logo', message: 'Required: the image file.' }]);
    } else if (LOGO_TYPES.includes(contentType.split(';')[0]!.trim().toLowerCase())) {
      logo = { filename: 'logo', mediaType: contentType, bytes: await readBoundedBody(c.req.raw, LOGO_MAX_BYTES) };
    } else {
      throw problems.unsupportedMediaType(['multipart/form-data', ...LOGO_TYPES]);
    }
    return entityJson(c, await putLogo(scopeOf(c), c.req.valid('param').org, logo));
  },
);

organizationRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getOrganizationLogo',
    path: '/v1/organizations/{org}/logo',
    tags: ['Organizations'],
    summary: 'Download the logo',
    request: { params: orgParam },
    responses: {
      200: { description: 'The image.', content: Object.fromEntries(LOGO_TYPES.map((t) => [t, { schema: { type: 'string' as const, format: 'binary' } }])) },
      206: { description: 'The requested range.' },
      304: { description: 'Not modified.' },
      ...errorResponses(404),
      416: errorResponses(416)[416]!,
    },
  }),
  async (c) => logoResponse(c, scopeOf(c), c.req.valid('param').org),
);

organizationRoutes.openapi(
  authedRoute({
    method: 'delete',
    operationId: 'deleteOrganizationLogo',
    path: '/v1/organizations/{org}/logo',
    tags: ['Organizations'],
    summary: 'Remove the logo (admin)',
    request: { params: orgParam },
    responses: { 204: { description: 'Removed.' }, ...errorResponses(403, 404, 409) },
  }),
  async (c) => {
    await deleteLogo(scopeOf(c), c.req.valid('param').org);
    return c.body(null, 204);
  },
);

organizationRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'listOrganizationMembers',
    path: '/v1/organizations/{org}/members',
    tags: ['Organizations'],
    summary: 'Members and their roles',
    request: { params: orgParam, query: listQuerySchema(members.memberListSpec).extend({ role: ROLE.optional() }) },
    responses: {
      200: { ...json(listEnvelope(MemberSchema, 'MemberList'), 'A page of members.'), headers: LIST_HEADERS },
      ...errorResponses(400, 404),
    },
  }),
  async (c) => {
    const { link, ...page } = await members.listMembers(scopeOf(c), c.req.valid('param').org, c.req.valid('query'), c.req.url);
    return c.json(page, 200, { Link: link });
  },
);

organizationRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'addOrganizationMember',
    path: '/v1/organizations/{org}/members',
    tags: ['Organizations'],
    summary: 'Add an existing account, by id, username or email (admin)',
    request: { params: orgParam, body: jsonBody(MemberAddBody) },
    responses: { 201: json(MemberSchema, 'Added.'), ...errorResponses(400, 403, 404, 409, 413, 415) },
  }),
  async (c) => c.json(await members.addMember(scopeOf(c), c.req.valid('param').org, c.req.valid('json')), 201),
);

organizationRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'createOrganizationAccount',
    path: '/v1/organizations/{org}/users',
    tags: ['Organizations'],
    summary: 'Create a new account straight into the organisation (admin)',
    request: { params: orgParam, body: jsonBody(MemberAccountBody) },
    responses: { 201: json(MemberSchema, 'Created and added.'), ...errorResponses(400, 403, 404, 409, 413, 415) },
  }),
  async (c) => c.json(await members.createMemberAccount(scopeOf(c), c.req.valid('param').org, c.req.valid('json')), 201),
);

organizationRoutes.openapi(
  authedRoute({
    method: 'patch',
    operationId: 'changeOrganizationMemberRole',
    path: '/v1/organizations/{org}/members/{user}',
    tags: ['Organizations'],
    summary: "Change a member's role (admin)",
    request: { params: memberParams, body: jsonBody(MemberRoleBody) },
    responses: { 200: json(MemberSchema, 'Changed.'), ...errorResponses(400, 403, 404, 409, 413, 415) },
  }),
  async (c) => {
    const { org, user } = c.req.valid('param');
    return c.json(await members.changeRole(scopeOf(c), org, user, c.req.valid('json').role), 200);
  },
);

organizationRoutes.openapi(
  authedRoute({
    method: 'delete',
    operationId: 'removeOrganizationMember',
    path: '/v1/organizations/{org}/members/{user}',
    tags: ['Organizations'],
    summary: 'Remove a member (admin; a member may remove themselves). The account stays.',
    request: { params: memberParams },
    responses: { 204: { description: 'Removed.' }, ...errorResponses(403, 404, 409) },
  }),
  async (c) => {
    const { org, user } = c.req.valid('param');
    await members.removeMember(scopeOf(c), org, user);
    return c.body(null, 204);
  },
);
