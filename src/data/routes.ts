import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { scopeOf } from '../auth/caller';
import { FOLDER_REF } from '../folders/schemas';
import type { AppEnv } from '../http/context';
import { entityJson } from '../http/etag';
import { DEFAULT_LIMIT, LIST_HEADERS, listEnvelope, listQuerySchema, MAX_LIMIT } from '../http/list';
import { authedRoute, binary, ETAG_HEADER, FILE_NAME_HEADER, IF_MATCH } from '../http/openapi';
import { errorResponses, problems } from '../http/problem';
import { createRouter } from '../http/router';
import { json, jsonBody, pathParam, queryInt } from '../http/schemas';
import { readUpload, uploadBody } from '../storage/file-http';
import { DOWNLOAD_HEADERS, DOWNLOAD_PARAMETERS, objectResponse } from '../storage/objects';
import { listContents } from './contents';
import { ContentsSchema, DataFileSchema, DataPatchBody, DataUploadFields } from './schemas';
import * as service from './service';
import { listJson } from '../http/list-answer';

const assetParam = z.object({ asset: pathParam('asset', 'Asset id (ast_…).', 'ast_01jd8z3b6q0w4y1r7k5t2m9xce') });
const dataParam = z.object({ data: pathParam('data', 'Data file id (dat_…).', 'dat_01jd8z3b6q0w4y1r7k5t2m9xce') });
const assetDataParams = assetParam.merge(dataParam);

const listQuery = listQuerySchema(service.dataListSpec).extend({
  folder: FOLDER_REF.openapi({ description: '`root`: the files at the top level; a folder id: the files directly in it. Left out: every file of the asset.' }),
});

const contentsQuery = z.object({
  folder: FOLDER_REF.openapi({ description: '`root` (the default) or a folder id: the level listed.' }),
  limit: queryInt(1, MAX_LIMIT).openapi({ description: `Page size (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT}).` }),
  offset: queryInt(0).openapi({ description: 'Items to skip.' }),
});

const uploadQuery = z.object({
  name: z.string().max(1000).optional().openapi({ description: 'The file name, as the form’s `name` (not both); with a raw body, or X-File-Name.' }),
  folder_id: z.string().max(64).optional().openapi({ description: 'The folder to put the file in (a folder of this asset), as the form’s `folder_id` (not both).' }),
});

const DATA_OK = (description: string) => ({ ...json(DataFileSchema, description), headers: ETAG_HEADER });

const BINARY = { schema: binary() };
const DOWNLOAD_RESPONSES = {
  200: { description: 'The file, streamed, with the type it was stored with.', headers: DOWNLOAD_HEADERS.full, content: { '*/*': BINARY } },
  206: { description: 'The requested range.', headers: DOWNLOAD_HEADERS.partial, content: { '*/*': BINARY } },
  ...errorResponses(404),
  416: { ...errorResponses(416)[416]!, description: 'The range starts past the end of the file; Content-Range gives the size.' },
};

/** An upload: the file, its name (the `name` field, else the file's own name) and folder, from the form or the query. */
async function readDataUpload(c: Context<AppEnv>) {
  const { input, file } = await readUpload(c, {
    fields: { name: 'text', folder_id: 'text' },
    schema: DataUploadFields,
    file: { part: 'file', required: true, raw: 'any', names: 'name' },
  });
  if (input.name === undefined) {
    throw problems.invalid([{ path: 'name', message: 'Name the file: a `name` field, X-File-Name or ?name= (1 to 255 characters, no control characters).' }]);
  }
  return { file: file!, meta: { name: input.name, folderId: input.folder_id ?? null } };
}

export const dataRoutes = createRouter();

dataRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'uploadDataFile',
    path: '/v1/assets/{asset}/data',
    tags: ['Data'],
    summary: 'Upload a data file into an asset, optionally into one of its folders (editors, managers, org admins)',
    description:
      'multipart/form-data with a `file` part and optional `name` and `folder_id` fields; or the file itself as the body (streamed: the way for large files) with its name in X-File-Name or ?name=. `name` and `folder_id` may also come in the query, with either body (400 when given in both). ' +
      'The declared type is checked against the content for PNG, JPEG, GIF, WebP and PDF (400 when they disagree); the SHA-256 is computed while the file is stored. 413 above the configured size limit.',
    request: { params: assetParam, query: uploadQuery, body: uploadBody({
      name: { type: 'string', maxLength: 255, description: 'Defaults to the file’s own name.' },
      folder_id: { type: 'string', maxLength: 64, description: 'A folder of this asset.' },
    }) },
    parameters: [FILE_NAME_HEADER],
    responses: { 201: DATA_OK('Stored.'), ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => {
    const { file, meta } = await readDataUpload(c);
    const created = await service.createDataFile(scopeOf(c), c.req.valid('param').asset, meta, file);
    c.header('Location', `/v1/data/${created.id}`);
    return entityJson(c, created, 201);
  },
);

dataRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'listAssetDataFiles',
    path: '/v1/assets/{asset}/data',
    tags: ['Data'],
    summary: "An asset's data files",
    request: { params: assetParam, query: listQuery },
    responses: {
      200: { ...json(listEnvelope(DataFileSchema, 'DataFileList'), 'A page of data files.'), headers: LIST_HEADERS },
      ...errorResponses(400, 404),
    },
  }),
  async (c) => {
    return listJson(c, await service.listDataFiles(scopeOf(c), c.req.valid('param').asset, c.req.valid('query'), c.req.url));
  },
);

dataRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getAssetContents',
    path: '/v1/assets/{asset}/contents',
    tags: ['Data'],
    summary: 'The data tab: one folder level, its folders then its files, each by name',
    description: 'Paged with limit and offset over the folders and files together; `count` is folders plus files at this level.',
    request: { params: assetParam, query: contentsQuery },
    responses: { 200: { ...json(ContentsSchema, 'A page of the level.'), headers: LIST_HEADERS }, ...errorResponses(400, 404) },
  }),
  async (c) => {
    return listJson(c, await listContents(scopeOf(c), c.req.valid('param').asset, c.req.valid('query'), c.req.url));
  },
);

dataRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getAssetDataFile',
    path: '/v1/assets/{asset}/data/{data}',
    tags: ['Data'],
    summary: "A data file, addressed under its asset (seed 000); 404 when it is not this asset's",
    request: { params: assetDataParams },
    responses: { 200: DATA_OK('The data file.'), ...errorResponses(404) },
  }),
  async (c) => {
    const { asset, data } = c.req.valid('param');
    return entityJson(c, await service.getDataFile(scopeOf(c), data, asset));
  },
);

dataRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'downloadAssetDataFile',
    path: '/v1/assets/{asset}/data/{data}/download',
    tags: ['Data'],
    summary: "Download a data file, addressed under its asset (seed 000); 404 when it is not this asset's",
    request: { params: assetDataParams },
    parameters: DOWNLOAD_PARAMETERS,
    responses: DOWNLOAD_RESPONSES,
  }),
  async (c) => {
    const { asset, data } = c.req.valid('param');
    const scope = scopeOf(c);
    const { key, filename } = await service.dataFileObject(scope, data, asset);
    return objectResponse(c, scope.files, key, { filename });
  },
);

dataRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getDataFile',
    path: '/v1/data/{data}',
    tags: ['Data'],
    summary: 'A data file',
    request: { params: dataParam },
    responses: { 200: DATA_OK('The data file.'), ...errorResponses(404) },
  }),
  async (c) => entityJson(c, await service.getDataFile(scopeOf(c), c.req.valid('param').data)),
);

dataRoutes.openapi(
  authedRoute({
    method: 'patch',
    operationId: 'updateDataFile',
    path: '/v1/data/{data}',
    tags: ['Data'],
    summary: 'Rename, or move with `folder_id` (editors, managers, org admins)',
    description: '400 when `folder_id` is not a folder of the file’s asset; null moves the file to the top level.',
    request: { params: dataParam, body: jsonBody(DataPatchBody) },
    parameters: [IF_MATCH],
    responses: { 200: DATA_OK('Updated.'), ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => entityJson(c, await service.updateDataFile(scopeOf(c), c.req.valid('param').data, c.req.valid('json'), c.req.header('If-Match'))),
);

dataRoutes.openapi(
  authedRoute({
    method: 'delete',
    operationId: 'deleteDataFile',
    path: '/v1/data/{data}',
    tags: ['Data'],
    summary: 'Delete a data file and its stored body (editors, managers, org admins)',
    request: { params: dataParam },
    parameters: [IF_MATCH],
    responses: { 204: { description: 'Deleted.' }, ...errorResponses(403, 404, 409) },
  }),
  async (c) => {
    await service.deleteDataFile(scopeOf(c), c.req.valid('param').data, c.req.header('If-Match'));
    return c.body(null, 204);
  },
);

dataRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'downloadDataFile',
    path: '/v1/data/{data}/download',
    tags: ['Data'],
    summary: 'Download a data file',
    request: { params: dataParam },
    parameters: DOWNLOAD_PARAMETERS,
    responses: DOWNLOAD_RESPONSES,
  }),
  async (c) => {
    const scope = scopeOf(c);
    const { key, filename } = await service.dataFileObject(scope, c.req.valid('param').data);
    return objectResponse(c, scope.files, key, { filename });
  },
);
