/** Assets (seed 003): one by its `object_key` (its /v1 id), and the assets you may see, paged. */
import { z } from '@hono/zod-openapi';
import { getAsset, listAssets } from '../../assets/service';
import { scopeOf } from '../../auth/caller';
import { listJson } from '../../http/list-answer';
import { createRouter } from '../../http/router';
import { json, pathParam } from '../../http/schemas';
import { jsend, transam } from './dialect';
import { LIST_HEADERS, PAGE_SIZE, servicePage, transamListQuery, transamPage } from './list';
import { asset, AssetListItemSchema, AssetSchema, assetListItem } from './render';

const AssetOk = jsend(z.object({ asset: AssetSchema }), 'AssetAnswer');
const AssetsOk = jsend(z.object({ assets: z.array(AssetListItemSchema).max(PAGE_SIZE.max) }), 'AssetList');

export const assetRoutes = createRouter();

assetRoutes.openapi(
  transam.authedRoute({
    method: 'get',
    operationId: 'listAssets',
    path: '/api/v1/assets',
    tags: ['Assets'],
    summary: 'The assets you may see, by name',
    request: { query: transamListQuery },
    responses: { 200: { ...json(AssetsOk, 'A page of assets.'), headers: LIST_HEADERS } },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const page = await listAssets(scopeOf(c), servicePage(q), c.req.url);
    return listJson(c, page, transamPage(c, q, (rows) => ({ assets: rows.map(assetListItem) })));
  },
);

assetRoutes.openapi(
  transam.authedRoute({
    method: 'get',
    operationId: 'getAsset',
    path: '/api/v1/assets/{object_key}',
    tags: ['Assets'],
    summary: 'An asset (404 for one you may not see, as for a missing one)',
    request: { params: z.object({ object_key: pathParam('object_key', 'The asset’s key (its /v1 id).', 'ast_01jd8z3b6q0w4y1r7k5t2m9xce') }) },
    responses: { 200: json(AssetOk, 'The asset.'), ...transam.errorResponses(404) },
  }),
  async (c) => c.json({ status: 'success' as const, data: { asset: asset(await getAsset(scopeOf(c), c.req.valid('param').object_key)) } }, 200),
);
