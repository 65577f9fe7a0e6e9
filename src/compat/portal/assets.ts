/**
 * Assets (seed 000): `/project_management/assets/`, a DRF ModelViewSet over /v1's asset service.
 * `project_id` is the project's number; lat/lon come as numbers or decimal strings.
 */
import { z } from '@hono/zod-openapi';
import { ASSET_LIMITS, ASSET_STATUS } from '../../assets/schemas';
import { createAsset, deleteAsset, getAsset, listAssets, updateAsset } from '../../assets/service';
import { scopeOf } from '../../auth/caller';
import { idOfNumber } from '../../db/numbers';
import { entityJson } from '../../http/etag';
import { listJson } from '../../http/list-answer';
import { ETAG_HEADER } from '../../http/openapi';
import { createRouter } from '../../http/router';
import { json, jsonBody } from '../../http/schemas';
import { LAT, LON } from '../../projects/schemas';
import { drfListQuery, drfPage, drfPageSchema } from '../drf';
import { numberInput, numberParam } from '../values';
import { portal } from './dialect';
import { asset, AssetSchema } from './render';

const fields = {
  name: z.string().trim().min(1).max(ASSET_LIMITS.name),
  location: z.string().trim().max(ASSET_LIMITS.location).optional(),
  asset_status: ASSET_STATUS.optional(),
  lat: LAT.optional(),
  lon: LON.optional(),
  description: z.string().trim().max(ASSET_LIMITS.description).optional(),
};

const AssetCreateBody = z
  .object({ ...fields, project_id: numberInput().openapi({ description: 'The project’s id (editors, managers, company admins).' }) })
  .strict()
  .openapi('AssetCreate');

const AssetPatchBody = z
  .object({
    ...fields,
    name: fields.name.optional(),
    project_id: numberInput().optional().openapi({ description: 'Another project of its company to move the asset to, with its folders, data, spheres and reports (writers of both).' }),
  })
  .strict()
  .openapi('AssetPatch');

export const assetParams = z.object({ asset_id: numberParam('asset_id', 'The asset’s id.') });
const assetRef = (c: { req: { valid(t: 'param'): { asset_id: number } } }) => idOfNumber('asset', c.req.valid('param').asset_id);

export const assetRoutes = createRouter();

assetRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'listAssets',
    path: '/project_management/assets/',
    tags: ['Assets'],
    summary: 'The assets you may see, by name',
    request: { query: drfListQuery },
    responses: { 200: json(drfPageSchema(AssetSchema, 'AssetList'), 'A page of assets.') },
  }),
  async (c) => {
    const q = c.req.valid('query');
    return listJson(c, await listAssets(scopeOf(c), q, c.req.url), drfPage(c, q, asset));
  },
);

assetRoutes.openapi(
  portal.authedRoute({
    method: 'post',
    operationId: 'createAsset',
    path: '/project_management/assets/',
    tags: ['Assets'],
    summary: 'Create an asset in a project (editors, managers, company admins)',
    request: { body: jsonBody(AssetCreateBody) },
    responses: { 201: json(AssetSchema, 'Created.'), ...portal.errorResponses(403, 404, 409) },
  }),
  async (c) => {
    const { project_id, ...input } = c.req.valid('json');
    return c.json(asset(await createAsset(scopeOf(c), { project: idOfNumber('project', project_id) }, input)), 201);
  },
);

assetRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'getAsset',
    path: '/project_management/assets/{asset_id}/',
    tags: ['Assets'],
    summary: 'An asset',
    request: { params: assetParams },
    responses: { 200: { ...json(AssetSchema, 'The asset.'), headers: ETAG_HEADER }, ...portal.errorResponses(404) },
  }),
  async (c) => entityJson(c, asset(await getAsset(scopeOf(c), assetRef(c)))),
);

assetRoutes.openapi(
  portal.authedRoute({
    method: 'patch',
    operationId: 'updateAsset',
    path: '/project_management/assets/{asset_id}/',
    tags: ['Assets'],
    summary: 'Change some fields, or move it to another project of its company with `project_id` (editors, managers, company admins)',
    request: { params: assetParams, body: jsonBody(AssetPatchBody) },
    responses: { 200: json(AssetSchema, 'The asset.'), ...portal.errorResponses(403, 404, 409) },
  }),
  async (c) => {
    const { project_id, ...changes } = c.req.valid('json');
    const move = project_id === undefined ? {} : { project_id: idOfNumber('project', project_id) };
    return c.json(asset(await updateAsset(scopeOf(c), assetRef(c), { ...changes, ...move }, undefined)), 200);
  },
);

assetRoutes.openapi(
  portal.authedRoute({
    method: 'delete',
    operationId: 'deleteAsset',
    path: '/project_management/assets/{asset_id}/',
    tags: ['Assets'],
    summary: 'Delete the asset and everything under it (editors, managers, company admins)',
    request: { params: assetParams },
    responses: { 204: { description: 'Deleted.' }, ...portal.errorResponses(403, 404, 409) },
  }),
  async (c) => {
    await deleteAsset(scopeOf(c), assetRef(c), undefined);
    return c.body(null, 204);
  },
);
