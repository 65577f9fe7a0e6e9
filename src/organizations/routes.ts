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
import { deleteLogo, organizationLogo, putLogo } from './logo';
import * as members from './members';
import {
  MemberAccountBody,
  MemberAddBody,
  MemberRoleBody,
  MemberSchema,
  NewMemberSchema,
  OrganizationCreateBody,
  OrganizationPatchBody,
  OrganizationPutBody,
  OrganizationSchema,
  ORG_LIMITS,
  ROLE,
} from './schemas';
import * as orgs from './service';
import { invitationHeaders, withInvitation } from '../users/schemas';
import { DOWNLOAD_PARAMETERS } from '../storage/objects';
import { listJson } from '../http/list-answer';

const orgParam = z.object({ org: pathParam('org', 'Organisation slug or id.', 'habitat') });
const memberParams = orgParam.extend({ user: pathParam('user', 'User id, username or email.', 'kieran') });

/** The form's text fields, with the JSON body's limits (the same schema checks them); JSON text under the JSON limits. */
const MULTIPART_ORG = {
  type: 'object' as const,
  required: ['name'],
  properties: {
    name: { type: 'string' as const, maxLength: ORG_LIMITS.name },
    slug: { type: 'string' as const, maxLength: ORG_LIMITS.slug },
    short_name: { type: 'string' as const, maxLength: ORG_LIMITS.short_name },
    description: { type: 'string' as const, maxLength: ORG_LIMITS.description },
    urls: jsonTextField('A JSON array of URLs, or one URL per `url` field.'),
    contacts: jsonTextField('A JSON array of h-cards.'),
    logo: LOGO_FORM_PROPERTY,
  },
};

const ORG_FORM_FIELDS = {
  name: 'text',
  slug: 'text',
  short_name: 'text',
  description: 'text',
  urls: 'list',
  contacts: 'json',
} as const;

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
    return listJson(c, await orgs.listOrganizations(scopeOf(c), c.req.valid('query'), c.req.url));
  },
);

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
      ...errorResponses(400, 409),
    },
  }),
  async (c) => {
    const { input, file } = await readUpload(c, {
      fields: ORG_FORM_FIELDS,
      schema: OrganizationCreateBody,
      json: true,
      file: { part: 'logo', required: false, maxPartBytes: LOGO_MAX_BYTES },
      aliases: { urls: 'url' },
    });
    const org = await orgs.createOrganization(scopeOf(c), input, logoOf(file));
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
      ...errorResponses(400, 403, 404, 409),
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
      ...errorResponses(400, 403, 404, 409),
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
    responses: { 204: { description: 'Deleted.' }, ...errorResponses(403, 404, 409) },
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
    description: LOGO_UPLOAD_DESCRIPTION,
    request: { params: orgParam, body: LOGO_UPLOAD_BODY },
    responses: {
      200: { ...json(OrganizationSchema, 'The organisation with its new logo.'), headers: ETAG_HEADER },
      ...errorResponses(400, 403, 404, 409),
    },
  }),
  async (c) => {
    const logo = await readLogoUpload(c);
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
    parameters: DOWNLOAD_PARAMETERS,
    responses: LOGO_DOWNLOAD_RESPONSES,
  }),
  async (c) => organizationLogo(c, scopeOf(c), c.req.valid('param').org),
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
    return listJson(c, await members.listMembers(scopeOf(c), c.req.valid('param').org, c.req.valid('query'), c.req.url));
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
    responses: { 201: json(MemberSchema, 'Added.'), ...errorResponses(400, 403, 404, 409) },
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
    responses: { 201: json(NewMemberSchema, 'Created and added; without a password, with its invitation.'), ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => {
    const { member, invitation } = await members.createMemberAccount(scopeOf(c), c.req.valid('param').org, c.req.valid('json'));
    return c.json(withInvitation(member, invitation), 201, invitationHeaders(invitation));
  },
);

organizationRoutes.openapi(
  authedRoute({
    method: 'patch',
    operationId: 'changeOrganizationMemberRole',
    path: '/v1/organizations/{org}/members/{user}',
    tags: ['Organizations'],
    summary: "Change a member's role (admin)",
    request: { params: memberParams, body: jsonBody(MemberRoleBody) },
    responses: { 200: json(MemberSchema, 'Changed.'), ...errorResponses(400, 403, 404, 409) },
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
    description: "Their roles in the organisation's projects end with the membership.",
    request: { params: memberParams },
    responses: { 204: { description: 'Removed.' }, ...errorResponses(403, 404, 409) },
  }),
  async (c) => {
    const { org, user } = c.req.valid('param');
    await members.removeMember(scopeOf(c), org, user);
    return c.body(null, 204);
  },
);
