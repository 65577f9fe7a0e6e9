/**
 * Folders, data files, their downloads and the data tab (seed 000), under an asset and flat:
 * /v1's folder and data services; each row rendered as a DRF ModelSerializer would, relations
 * as integer ids, the file as an absolute download URL inside /compat/portal. Downloads stream
 * from R2 with Range and If-None-Match, as /v1's.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { scopeOf } from '../../auth/caller';
import type { ContentRow } from '../../data/contents';
import { listContents } from '../../data/contents';
import { dataFileObject, getDataFile, listDataFiles, type DataFileJoined } from '../../data/service';
import { idOfNumber, numberOf } from '../../db/numbers';
import type { FolderJoined } from '../../folders/access';
import { ITEM_NAME_MAX } from '../../folders/schemas';
import { getFolder, listFolders } from '../../folders/service';
import { entityJson } from '../../http/etag';
import { listJson } from '../../http/list-answer';
import { binary, ETAG_HEADER } from '../../http/openapi';
import { createRouter } from '../../http/router';
import { COUNT, json, SHA256 } from '../../http/schemas';
import { iso } from '../../lib/time';
import { DOWNLOAD_HEADERS, DOWNLOAD_PARAMETERS, objectResponse } from '../../storage/objects';
import { drfListQuery, drfPage, drfPageSchema } from '../drf';
import { NUMBER_ID, numberParam, Z_TIME, zTime } from '../values';
import { assetParams } from './assets';
import { portal } from './dialect';

const URL_OUT = z.string().url().max(300);

export const FolderSchema = z
  .object({
    id: NUMBER_ID,
    asset: NUMBER_ID,
    parent: NUMBER_ID.nullable().openapi({ description: 'The folder it sits in; null at the top level.' }),
    name: z.string().max(ITEM_NAME_MAX),
    created_at: Z_TIME,
    updated_at: Z_TIME,
  })
  .openapi('Folder');

export const DataSchema = z
  .object({
    id: NUMBER_ID,
    asset: NUMBER_ID,
    folder: NUMBER_ID.nullable().openapi({ description: 'The folder it is in; null at the top level.' }),
    name: z.string().max(ITEM_NAME_MAX),
    mime_type: z.string().max(255),
    size: COUNT.openapi({ description: 'Bytes.' }),
    sha256: SHA256,
    file: URL_OUT.openapi({ description: 'Where to download it (this API; send the same credentials).' }),
    created_at: Z_TIME,
    updated_at: Z_TIME,
  })
  .openapi('Data');

const times = (createdAt: number, updatedAt: number) => ({ created_at: zTime(iso(createdAt)), updated_at: zTime(iso(updatedAt)) });
const downloadUrl = (c: Context, n: number) => portal.url(c, `/project_management/data/${n}/download/`);

const folder = (r: FolderJoined): z.infer<typeof FolderSchema> => ({
  id: numberOf(r.folder),
  asset: numberOf({ number: r.numbers.asset }),
  parent: r.numbers.parent,
  name: r.folder.name,
  ...times(r.folder.createdAt, r.folder.updatedAt),
});

const data =
  (c: Context) =>
  (r: DataFileJoined): z.infer<typeof DataSchema> => ({
    id: numberOf(r.file),
    asset: numberOf({ number: r.numbers.asset }),
    folder: r.numbers.folder,
    name: r.file.name,
    mime_type: r.file.mimeType,
    size: r.file.size,
    sha256: r.file.sha256,
    file: downloadUrl(c, numberOf(r.file)),
    ...times(r.file.createdAt, r.file.updatedAt),
  });

/** An item of the data tab: a folder or a data file, told apart by `type`. */
const DataTabItemSchema = z
  .discriminatedUnion('type', [FolderSchema.extend({ type: z.literal('folder') }).openapi('DataTabFolder'), DataSchema.extend({ type: z.literal('data') }).openapi('DataTabData')])
  .openapi('DataTabItem');

const dataTabItem =
  (c: Context) =>
  (r: ContentRow): z.infer<typeof DataTabItemSchema> => {
    const common = { id: numberOf(r), asset: numberOf({ number: r.assetNumber }), name: r.name, ...times(r.createdAt, r.updatedAt) };
    if (r.rank === 0) return { type: 'folder', ...common, parent: r.parentNumber };
    return {
      type: 'data',
      ...common,
      folder: r.parentNumber,
      mime_type: r.mimeType ?? 'application/octet-stream',
      size: r.size ?? 0,
      sha256: r.sha256 ?? '',
      file: downloadUrl(c, numberOf(r)),
    };
  };

const DOWNLOAD_RESPONSES = {
  200: { description: 'The file, streamed, with the type it was stored with.', headers: DOWNLOAD_HEADERS.full, content: { '*/*': { schema: binary() } } },
  206: { description: 'The requested range.', headers: DOWNLOAD_HEADERS.partial, content: { '*/*': { schema: binary() } } },
  ...portal.errorResponses(404, 416),
};

const folderParams = assetParams.extend({ folder_id: numberParam('folder_id', 'The folder’s id.') });
const dataParams = assetParams.extend({ data_id: numberParam('data_id', 'The data file’s id.') });
const pkParams = assetParams.extend({ pk: numberParam('pk', 'The data file’s id.') });
const flatFolder = z.object({ pk: numberParam('pk', 'The folder’s id.') });
const flatData = z.object({ data_id: numberParam('data_id', 'The data file’s id.') });

const dataTabQuery = drfListQuery.extend({
  folder_id: z
    .string()
    .regex(/^(none|[1-9][0-9]{0,15})$/, '`none`, or a folder id.')
    .max(16)
    .optional()
    .openapi({ description: '`none` (the default): the top level; a folder id: the level inside it.', example: 'none' }),
});

export const fileRoutes = createRouter();

fileRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'listAssetFolders',
    path: '/project_management/assets/{asset_id}/folders/',
    tags: ['Folders and data'],
    summary: 'Every folder of the asset, by name',
    request: { params: assetParams, query: drfListQuery },
    responses: { 200: json(drfPageSchema(FolderSchema, 'FolderList'), 'A page of folders.'), ...portal.errorResponses(404) },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const page = await listFolders(scopeOf(c), idOfNumber('asset', c.req.valid('param').asset_id), q, c.req.url, folder);
    return listJson(c, page, drfPage(c, q, (f: z.infer<typeof FolderSchema>) => f));
  },
);

fileRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'getAssetFolder',
    path: '/project_management/assets/{asset_id}/folders/{folder_id}/',
    tags: ['Folders and data'],
    summary: 'A folder of the asset (404 when it is another asset’s)',
    request: { params: folderParams },
    responses: { 200: { ...json(FolderSchema, 'The folder.'), headers: ETAG_HEADER }, ...portal.errorResponses(404) },
  }),
  async (c) => {
    const { asset_id, folder_id } = c.req.valid('param');
    return entityJson(c, await getFolder(scopeOf(c), idOfNumber('folder', folder_id), idOfNumber('asset', asset_id), folder));
  },
);

fileRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'getFolder',
    path: '/project_management/folders/{pk}/',
    tags: ['Folders and data'],
    summary: 'A folder',
    request: { params: flatFolder },
    responses: { 200: { ...json(FolderSchema, 'The folder.'), headers: ETAG_HEADER }, ...portal.errorResponses(404) },
  }),
  async (c) => entityJson(c, await getFolder(scopeOf(c), idOfNumber('folder', c.req.valid('param').pk), undefined, folder)),
);

fileRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'listAssetData',
    path: '/project_management/assets/{asset_id}/data/',
    tags: ['Folders and data'],
    summary: 'Every data file of the asset, by name',
    request: { params: assetParams, query: drfListQuery },
    responses: { 200: json(drfPageSchema(DataSchema, 'DataList'), 'A page of data files.'), ...portal.errorResponses(404) },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const page = await listDataFiles(scopeOf(c), idOfNumber('asset', c.req.valid('param').asset_id), q, c.req.url, data(c));
    return listJson(c, page, drfPage(c, q, (d: z.infer<typeof DataSchema>) => d));
  },
);

fileRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'getAssetData',
    path: '/project_management/assets/{asset_id}/data/{data_id}/',
    tags: ['Folders and data'],
    summary: 'A data file of the asset (404 when it is another asset’s)',
    request: { params: dataParams },
    responses: { 200: { ...json(DataSchema, 'The data file.'), headers: ETAG_HEADER }, ...portal.errorResponses(404) },
  }),
  async (c) => {
    const { asset_id, data_id } = c.req.valid('param');
    return entityJson(c, await getDataFile(scopeOf(c), idOfNumber('data_file', data_id), idOfNumber('asset', asset_id), data(c)));
  },
);

fileRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'downloadAssetData',
    path: '/project_management/assets/{asset_id}/data/{pk}/download/',
    tags: ['Folders and data'],
    summary: 'Download a data file of the asset (Range and If-None-Match honoured)',
    request: { params: pkParams },
    parameters: DOWNLOAD_PARAMETERS,
    responses: DOWNLOAD_RESPONSES,
  }),
  async (c) => {
    const { asset_id, pk } = c.req.valid('param');
    const scope = scopeOf(c);
    const { key, filename } = await dataFileObject(scope, idOfNumber('data_file', pk), idOfNumber('asset', asset_id));
    return objectResponse(c, scope.files, key, { filename });
  },
);

fileRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'getData',
    path: '/project_management/data/{data_id}/',
    tags: ['Folders and data'],
    summary: 'A data file',
    request: { params: flatData },
    responses: { 200: { ...json(DataSchema, 'The data file.'), headers: ETAG_HEADER }, ...portal.errorResponses(404) },
  }),
  async (c) => entityJson(c, await getDataFile(scopeOf(c), idOfNumber('data_file', c.req.valid('param').data_id), undefined, data(c))),
);

fileRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'downloadData',
    path: '/project_management/data/{data_id}/download/',
    tags: ['Folders and data'],
    summary: 'Download a data file (Range and If-None-Match honoured)',
    request: { params: flatData },
    parameters: DOWNLOAD_PARAMETERS,
    responses: DOWNLOAD_RESPONSES,
  }),
  async (c) => {
    const scope = scopeOf(c);
    const { key, filename } = await dataFileObject(scope, idOfNumber('data_file', c.req.valid('param').data_id));
    return objectResponse(c, scope.files, key, { filename });
  },
);

fileRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'getDataTab',
    path: '/project_management/assets/{asset_id}/data_tab/',
    tags: ['Folders and data'],
    summary: 'The data tab: one folder level of the asset, its folders then its data files, each by name',
    description: '`count` is folders plus files at the level; limit and offset page over both together.',
    request: { params: assetParams, query: dataTabQuery },
    responses: { 200: json(drfPageSchema(DataTabItemSchema, 'DataTab'), 'A page of the level.'), ...portal.errorResponses(404) },
  }),
  async (c) => {
    const { folder_id, ...q } = c.req.valid('query');
    const level = folder_id === undefined || folder_id === 'none' ? 'root' : idOfNumber('folder', Number(folder_id));
    const page = await listContents(scopeOf(c), idOfNumber('asset', c.req.valid('param').asset_id), { ...q, folder: level }, c.req.url, dataTabItem(c));
    return listJson(c, page, drfPage(c, q, (i: z.infer<typeof DataTabItemSchema>) => i));
  },
);
