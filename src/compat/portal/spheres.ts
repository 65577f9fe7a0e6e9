/**
 * Spheres (seed 000): an asset's photo spheres, listed under it and read nested or flat, over
 * /v1's sphere service; the image is /v1's, as an absolute URL (the same credentials work).
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { scopeOf } from '../../auth/caller';
import { idOfNumber } from '../../db/numbers';
import { entityJson } from '../../http/etag';
import { listJson } from '../../http/list-answer';
import { ETAG_HEADER } from '../../http/openapi';
import { createRouter } from '../../http/router';
import { COUNT, json, SHA256 } from '../../http/schemas';
import { SPHERE_NAME_MAX, SPHERE_TYPES, type SphereOut } from '../../spheres/schemas';
import { getSphere, listSpheres } from '../../spheres/service';
import { drfListQuery, drfPage, drfPageSchema } from '../drf';
import { DECIMAL6, decimal6, NUMBER_ID, numberParam, Z_TIME, zTime } from '../values';
import { assetParams } from './assets';
import { portal } from './dialect';

export const SphereSchema = z
  .object({
    id: NUMBER_ID,
    asset: NUMBER_ID,
    name: z.string().max(SPHERE_NAME_MAX),
    captured_at: Z_TIME.nullable(),
    lat: DECIMAL6,
    lon: DECIMAL6,
    heading: z.number().min(0).max(360).nullable(),
    image: z.string().url().max(300).openapi({ description: 'The equirectangular image (this API; send the same credentials).' }),
    mime_type: z.enum(SPHERE_TYPES as [string, ...string[]]),
    size: COUNT.openapi({ description: 'Bytes.' }),
    sha256: SHA256,
    created_at: Z_TIME,
    updated_at: Z_TIME,
  })
  .openapi('Sphere');

const sphere =
  (c: Context) =>
  (s: SphereOut): z.infer<typeof SphereSchema> => ({
    id: s.number,
    asset: s.asset.number,
    name: s.name,
    captured_at: zTime(s.captured_at),
    lat: decimal6(s.lat),
    lon: decimal6(s.lon),
    heading: s.heading,
    image: new URL(s.image.url, c.req.url).toString(),
    mime_type: s.image.mime_type,
    size: s.image.size,
    sha256: s.image.sha256,
    created_at: zTime(s.created_at),
    updated_at: zTime(s.updated_at),
  });

const pkParams = assetParams.extend({ pk: numberParam('pk', 'The sphere’s id.') });
const flatParams = z.object({ pk: numberParam('pk', 'The sphere’s id.') });

export const sphereRoutes = createRouter();

sphereRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'listAssetSpheres',
    path: '/project_management/assets/{asset_id}/spheres/',
    tags: ['Spheres'],
    summary: 'The asset’s spheres, by capture time',
    request: { params: assetParams, query: drfListQuery },
    responses: { 200: json(drfPageSchema(SphereSchema, 'SphereList'), 'A page of spheres.'), ...portal.errorResponses(404) },
  }),
  async (c) => {
    const q = c.req.valid('query');
    return listJson(c, await listSpheres(scopeOf(c), idOfNumber('asset', c.req.valid('param').asset_id), q, c.req.url), drfPage(c, q, sphere(c)));
  },
);

sphereRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'getAssetSphere',
    path: '/project_management/assets/{asset_id}/spheres/{pk}/',
    tags: ['Spheres'],
    summary: 'A sphere of the asset (404 when it is another asset’s)',
    request: { params: pkParams },
    responses: { 200: { ...json(SphereSchema, 'The sphere.'), headers: ETAG_HEADER }, ...portal.errorResponses(404) },
  }),
  async (c) => {
    const { asset_id, pk } = c.req.valid('param');
    return entityJson(c, sphere(c)(await getSphere(scopeOf(c), idOfNumber('sphere', pk), idOfNumber('asset', asset_id))));
  },
);

sphereRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'getSphere',
    path: '/project_management/spheres/{pk}/',
    tags: ['Spheres'],
    summary: 'A sphere',
    request: { params: flatParams },
    responses: { 200: { ...json(SphereSchema, 'The sphere.'), headers: ETAG_HEADER }, ...portal.errorResponses(404) },
  }),
  async (c) => entityJson(c, sphere(c)(await getSphere(scopeOf(c), idOfNumber('sphere', c.req.valid('param').pk)))),
);
