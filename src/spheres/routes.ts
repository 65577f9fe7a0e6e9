import { z } from '@hono/zod-openapi';
import { scopeOf } from '../auth/caller';
import { entityJson } from '../http/etag';
import { LIST_HEADERS, listEnvelope, listQuerySchema } from '../http/list';
import { authedRoute, binary, ETAG_HEADER, IF_MATCH } from '../http/openapi';
import { errorResponses } from '../http/problem';
import { createRouter } from '../http/router';
import { json, jsonBody, pathParam } from '../http/schemas';
import { MULTIPART_FILE_MAX_BYTES, readUpload } from '../storage/file-http';
import { NUMERIC_TEXT_MAX } from '../projects/schemas';
import {
  DATE_TIME_TEXT_MAX,
  SPHERE_FORM_FIELDS,
  SPHERE_NAME_MAX,
  SPHERE_TYPES,
  SphereCreateFields,
  SpherePatchBody,
  SphereSchema,
} from './schemas';
import * as service from './service';
import { DOWNLOAD_PARAMETERS } from '../storage/objects';
import { listJson } from '../http/list-answer';

const assetParam = z.object({ asset: pathParam('asset', 'Asset id (ast_…).', 'ast_01jd8z3b6q0w4y1r7k5t2m9xce') });
const sphereParam = z.object({ sphere: pathParam('sphere', 'Sphere id (sph_…).', 'sph_01jd8z3b6q0w4y1r7k5t2m9xce') });

const BINARY = { schema: binary() };
const RAW_TYPES = [...SPHERE_TYPES, 'application/octet-stream'];

/** The form's text fields, with the limits SphereCreateFields checks. */
const METADATA = {
  name: { type: 'string' as const, maxLength: SPHERE_NAME_MAX, description: 'Defaults to the file name.' },
  captured_at: {
    type: 'string' as const,
    format: 'date-time',
    maxLength: DATE_TIME_TEXT_MAX,
    description: 'When the photo was taken (RFC 3339, with an offset).',
  },
  lat: { type: 'string' as const, maxLength: NUMERIC_TEXT_MAX, description: 'Degrees, -90 to 90 (a decimal number).' },
  lon: { type: 'string' as const, maxLength: NUMERIC_TEXT_MAX, description: 'Degrees, -180 to 180 (a decimal number).' },
  heading: { type: 'string' as const, maxLength: NUMERIC_TEXT_MAX, description: 'Degrees clockwise from north, 0 to 360.' },
};

const UPLOAD_BODY = {
  required: true,
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object' as const,
        required: ['file'],
        properties: {
          ...METADATA,
          file: binary(`JPEG, PNG or WebP, at most ${MULTIPART_FILE_MAX_BYTES} bytes in this form.`),
        },
      },
    },
    ...Object.fromEntries(RAW_TYPES.map((t) => [t, { schema: binary('The image itself, streamed; metadata in the query. At most the deployment’s upload limit.') }])),
  },
};

/** The metadata may travel in the query, with a raw image body or a form (not both for one field; checked with the form's rules). */
const uploadQuery = z.object({
  name: z.string().max(SPHERE_NAME_MAX).optional().openapi({ description: 'The name (or send X-File-Name); defaults to the file name.' }),
  captured_at: z.string().max(DATE_TIME_TEXT_MAX).optional().openapi({ description: 'RFC 3339 date-time with an offset.' }),
  lat: z.string().max(NUMERIC_TEXT_MAX).optional().openapi({ description: 'Degrees, -90 to 90.' }),
  lon: z.string().max(NUMERIC_TEXT_MAX).optional().openapi({ description: 'Degrees, -180 to 180.' }),
  heading: z.string().max(NUMERIC_TEXT_MAX).optional().openapi({ description: 'Degrees clockwise from north, 0 to 360.' }),
});

const ITEM_OK = { ...json(SphereSchema, 'The sphere.'), headers: ETAG_HEADER };

export const sphereRoutes = createRouter();

sphereRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'listAssetSpheres',
    path: '/v1/assets/{asset}/spheres',
    tags: ['Spheres'],
    summary: "An asset's spheres (360° photos)",
    request: { params: assetParam, query: listQuerySchema(service.sphereListSpec) },
    responses: {
      200: { ...json(listEnvelope(SphereSchema, 'SphereList'), 'A page of spheres.'), headers: LIST_HEADERS },
      ...errorResponses(400, 404),
    },
  }),
  async (c) => {
    return listJson(c, await service.listSpheres(scopeOf(c), c.req.valid('param').asset, c.req.valid('query'), c.req.url));
  },
);

sphereRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'createSphere',
    path: '/v1/assets/{asset}/spheres',
    tags: ['Spheres'],
    summary: 'Upload a sphere (editors, managers, org admins)',
    description:
      'multipart/form-data with a `file` (JPEG, PNG or WebP, checked against the content) and the metadata fields; or the image itself as the body (streamed, up to the upload limit) with the metadata in the query and the name in `?name=` or `X-File-Name`. A metadata field may come in the query with a form too (400 when given in both).',
    request: { params: assetParam, query: uploadQuery, body: UPLOAD_BODY },
    responses: { 201: { ...json(SphereSchema, 'Created.'), headers: ETAG_HEADER }, ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => {
    const { input, file } = await readUpload(c, {
      fields: SPHERE_FORM_FIELDS,
      schema: SphereCreateFields,
      file: { part: 'file', required: true, raw: RAW_TYPES, names: 'name', missing: 'Required: the image (JPEG, PNG or WebP).' },
    });
    const scope = scopeOf(c);
    const sphere = await service.createSphere(scope, c.req.valid('param').asset, input, file!);
    c.header('Location', `/v1/spheres/${sphere.id}`);
    return entityJson(c, sphere, 201);
  },
);

sphereRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getAssetSphere',
    path: '/v1/assets/{asset}/spheres/{sphere}',
    tags: ['Spheres'],
    summary: 'A sphere of this asset',
    request: { params: assetParam.merge(sphereParam) },
    responses: { 200: ITEM_OK, ...errorResponses(404) },
  }),
  async (c) => {
    const { asset, sphere } = c.req.valid('param');
    return entityJson(c, await service.getSphere(scopeOf(c), sphere, asset));
  },
);

sphereRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getSphere',
    path: '/v1/spheres/{sphere}',
    tags: ['Spheres'],
    summary: 'A sphere',
    request: { params: sphereParam },
    responses: { 200: ITEM_OK, ...errorResponses(404) },
  }),
  async (c) => entityJson(c, await service.getSphere(scopeOf(c), c.req.valid('param').sphere)),
);

sphereRoutes.openapi(
  authedRoute({
    method: 'patch',
    operationId: 'updateSphere',
    path: '/v1/spheres/{sphere}',
    tags: ['Spheres'],
    summary: 'Change the metadata (editors, managers, org admins)',
    request: { params: sphereParam, body: jsonBody(SpherePatchBody) },
    parameters: [IF_MATCH],
    responses: { 200: { ...json(SphereSchema, 'Updated.'), headers: ETAG_HEADER }, ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => entityJson(c, await service.updateSphere(scopeOf(c), c.req.valid('param').sphere, c.req.valid('json'), c.req.header('If-Match'))),
);

sphereRoutes.openapi(
  authedRoute({
    method: 'delete',
    operationId: 'deleteSphere',
    path: '/v1/spheres/{sphere}',
    tags: ['Spheres'],
    summary: 'Delete a sphere and its image (editors, managers, org admins)',
    request: { params: sphereParam },
    parameters: [IF_MATCH],
    responses: { 204: { description: 'Deleted.' }, ...errorResponses(403, 404, 409) },
  }),
  async (c) => {
    await service.deleteSphere(scopeOf(c), c.req.valid('param').sphere, c.req.header('If-Match'));
    return c.body(null, 204);
  },
);

sphereRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getSphereImage',
    path: '/v1/spheres/{sphere}/image',
    tags: ['Spheres'],
    summary: 'The image, inline (Range and If-None-Match supported)',
    request: { params: sphereParam },
    parameters: DOWNLOAD_PARAMETERS,
    responses: {
      200: { description: 'The image.', content: Object.fromEntries(SPHERE_TYPES.map((t) => [t, BINARY])) },
      206: { description: 'The requested range.' },
      ...errorResponses(404),
      416: errorResponses(416)[416]!,
    },
  }),
  async (c) => service.sphereImage(c, scopeOf(c), c.req.valid('param').sphere),
);
