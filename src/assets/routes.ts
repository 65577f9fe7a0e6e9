import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { accepts } from 'hono/accepts';
import { scopeOf } from '../auth/caller';
import { entityJson } from '../http/etag';
import { LIST_HEADERS, listEnvelope, listQuerySchema, searchParam } from '../http/list';
import { authedRoute, ETAG_HEADER, IF_MATCH } from '../http/openapi';
import { errorResponses } from '../http/problem';
import { createRouter } from '../http/router';
import { json, jsonBody, pathParam } from '../http/schemas';
import {
  ASSET_STATUS,
  AssetCreateAnywhereBody,
  AssetCreateBody,
  AssetFeatureCollection,
  AssetPatchBody,
  AssetPutBody,
  AssetSchema,
  GEOJSON,
  toFeature,
} from './schemas';
import * as service from './service';
import { envelope, listJson } from '../http/list-answer';

const assetParam = z.object({ asset: pathParam('asset', 'Asset id, its object key (ast_…).', 'ast_01jd8z3b6q0w4y1r7k5t2m9xce') });
const projectParam = z.object({ project: pathParam('project', 'Project id (prj_…).') });

const BBOX = z
  .string()
  .max(200)
  .transform((v, ctx) => {
    // Each part a decimal number: Number() alone reads "" as 0 and takes "0x10" or "1e1".
    const parts = v.split(',').map((p) => p.trim());
    const n = parts.map((p) => (/^[-+]?(?:\d+(?:\.\d+)?|\.\d+)$/.test(p) ? Number(p) : NaN));
    const [minLon, minLat, maxLon, maxLat] = n;
    const ok =
      n.length === 4 && n.every(Number.isFinite) && minLon! >= -180 && maxLon! <= 180 && minLat! >= -90 && maxLat! <= 90 && minLon! <= maxLon! && minLat! <= maxLat!;
    if (!ok) {
      ctx.addIssue({ code: 'custom', message: 'minLon,minLat,maxLon,maxLat in degrees, min before max.' });
      return z.NEVER;
    }
    return n as [number, number, number, number];
  })
  .optional()
  .openapi({ type: 'string', maxLength: 200, example: '4.85,52.35,4.95,52.40', description: 'minLon,minLat,maxLon,maxLat' });

const listQuery = listQuerySchema(service.assetListSpec).extend({
  search: searchParam('Full-text search over name, asset tag and description (every word, as a prefix).'),
  organization: z.string().max(254).optional().openapi({ description: 'Slug or id.' }),
  asset_status: ASSET_STATUS.optional(),
  asset_type: z.string().max(100).optional(),
  bbox: BBOX,
});

const listOk = {
  200: {
    description: 'A page of assets; with `Accept: application/geo+json`, a GeoJSON FeatureCollection of those with coordinates.',
    content: {
      'application/json': { schema: listEnvelope(AssetSchema, 'AssetList') },
      [GEOJSON]: { schema: AssetFeatureCollection },
    },
    headers: LIST_HEADERS,
  },
};

/** GeoJSON when Accept prefers it (q-values weighed; JSON on a tie, a wildcard or no header). */
const wantsGeoJson = (c: Context) => accepts(c, { header: 'Accept', supports: ['application/json', GEOJSON], default: 'application/json' }) === GEOJSON;

/**
 * JSON envelope or GeoJSON, by Accept. Typed `never`: @hono/zod-openapi computes no handler type
 * for a 200 with two JSON media types; the contract test checks both bodies against the schemas.
 */
async function answerList(c: Context, list: (located: boolean) => ReturnType<typeof service.listAssets>): Promise<never> {
  const geo = wantsGeoJson(c);
  const page = await list(geo);
  if (!geo) return listJson(c, page, (p) => ({ ...envelope(p), headers: { Vary: 'Accept' } })) as never;
  return listJson(c, page, (p) => ({
    body: { type: 'FeatureCollection' as const, features: p.results.map(toFeature), count: p.count, next: p.next, previous: p.previous },
    link: p.link,
    headers: { 'Content-Type': GEOJSON, Vary: 'Accept' },
  })) as never;
}

export const assetRoutes = createRouter();

assetRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'listAssets',
    path: '/v1/assets',
    tags: ['Assets'],
    summary: 'Every asset you may see',
    request: { query: listQuery.extend({ project: z.string().max(64).optional() }) },
    responses: { ...listOk, ...errorResponses(400) },
  }),
  async (c) => answerList(c, (located) => service.listAssets(scopeOf(c), c.req.valid('query'), c.req.url, { located })),
);

assetRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'listProjectAssets',
    path: '/v1/projects/{project}/assets',
    tags: ['Assets'],
    summary: "A project's assets",
    request: { params: projectParam, query: listQuery },
    responses: { ...listOk, ...errorResponses(400, 404) },
  }),
  async (c) =>
    answerList(c, (located) =>
      service.listAssets(scopeOf(c), c.req.valid('query'), c.req.url, { located, scopeProject: c.req.valid('param').project }),
    ),
);

assetRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'createProjectAsset',
    path: '/v1/projects/{project}/assets',
    tags: ['Assets'],
    summary: 'Create an asset in a project (editors, managers, org admins)',
    request: { params: projectParam, body: jsonBody(AssetCreateBody) },
    responses: { 201: { ...json(AssetSchema, 'Created.'), headers: ETAG_HEADER }, ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => {
    const asset = await service.createAsset(scopeOf(c), { project: c.req.valid('param').project }, c.req.valid('json'));
    c.header('Location', `/v1/assets/${asset.id}`);
    return entityJson(c, asset, 201);
  },
);

assetRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'createAsset',
    path: '/v1/assets',
    tags: ['Assets'],
    summary: 'Create an asset in a project (`project_id`, seed 000) or of an organisation alone (`organization`, seed 003)',
    request: { body: jsonBody(AssetCreateAnywhereBody) },
    responses: { 201: { ...json(AssetSchema, 'Created.'), headers: ETAG_HEADER }, ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => {
    const { project_id, organization, ...input } = c.req.valid('json');
    const where = project_id !== undefined ? { project: project_id } : { organization: organization! };
    const asset = await service.createAsset(scopeOf(c), where, input);
    c.header('Location', `/v1/assets/${asset.id}`);
    return entityJson(c, asset, 201);
  },
);

assetRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getAsset',
    path: '/v1/assets/{asset}',
    tags: ['Assets'],
    summary: 'An asset',
    request: { params: assetParam },
    responses: { 200: { ...json(AssetSchema, 'The asset.'), headers: ETAG_HEADER }, ...errorResponses(404) },
  }),
  async (c) => entityJson(c, await service.getAsset(scopeOf(c), c.req.valid('param').asset)),
);

assetRoutes.openapi(
  authedRoute({
    method: 'patch',
    operationId: 'updateAsset',
    path: '/v1/assets/{asset}',
    tags: ['Assets'],
    summary: 'Change some fields (editors, managers, org admins); `project_id` moves it to another project',
    description:
      '`project_id` moves the asset with its folders, data files, spheres and reports to another project of its organisation (writers of both; ' +
      '404 when the project is hidden, 400 when it is of another organisation), or with null out of every project (org admins; 409 while it has reports).',
    request: { params: assetParam, body: jsonBody(AssetPatchBody) },
    parameters: [IF_MATCH],
    responses: { 200: { ...json(AssetSchema, 'Updated.'), headers: ETAG_HEADER }, ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => entityJson(c, await service.updateAsset(scopeOf(c), c.req.valid('param').asset, c.req.valid('json'), c.req.header('If-Match'))),
);

assetRoutes.openapi(
  authedRoute({
    method: 'put',
    operationId: 'replaceAsset',
    path: '/v1/assets/{asset}',
    tags: ['Assets'],
    summary: 'Replace all fields (editors, managers, org admins)',
    request: { params: assetParam, body: jsonBody(AssetPutBody) },
    parameters: [IF_MATCH],
    responses: { 200: { ...json(AssetSchema, 'Replaced.'), headers: ETAG_HEADER }, ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => entityJson(c, await service.updateAsset(scopeOf(c), c.req.valid('param').asset, c.req.valid('json'), c.req.header('If-Match'))),
);

assetRoutes.openapi(
  authedRoute({
    method: 'delete',
    operationId: 'deleteAsset',
    path: '/v1/assets/{asset}',
    tags: ['Assets'],
    summary: 'Delete an asset with its spheres, folders, data files, reports and their files',
    request: { params: assetParam },
    parameters: [IF_MATCH],
    responses: { 204: { description: 'Deleted.' }, ...errorResponses(403, 404, 409) },
  }),
  async (c) => {
    await service.deleteAsset(scopeOf(c), c.req.valid('param').asset, c.req.header('If-Match'));
    return c.body(null, 204);
  },
);
