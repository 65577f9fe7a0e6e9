import { z } from '@hono/zod-openapi';
import { scopeOf } from '../auth/caller';
import { entityJson } from '../http/etag';
import { LIST_HEADERS, listEnvelope, listQuerySchema } from '../http/list';
import { authedRoute, ETAG_HEADER, IF_MATCH } from '../http/openapi';
import { errorResponses } from '../http/problem';
import { createRouter } from '../http/router';
import { json, jsonBody, pathParam, queryBool } from '../http/schemas';
import { FOLDER_REF, FolderCreateBody, FolderPatchBody, FolderSchema } from './schemas';
import * as service from './service';
import { listJson } from '../http/list-answer';

const assetParam = z.object({ asset: pathParam('asset', 'Asset id (ast_…).', 'ast_01jd8z3b6q0w4y1r7k5t2m9xce') });
const folderParam = z.object({ folder: pathParam('folder', 'Folder id (fld_…).', 'fld_01jd8z3b6q0w4y1r7k5t2m9xce') });

const listQuery = listQuerySchema(service.folderListSpec).extend({
  parent: FOLDER_REF.openapi({ description: '`root`: the top-level folders; a folder id: the folders directly in it. Left out: every folder of the asset.' }),
});

const FOLDER_OK = (description: string) => ({ ...json(FolderSchema, description), headers: ETAG_HEADER });

export const folderRoutes = createRouter();

folderRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'createFolder',
    path: '/v1/assets/{asset}/folders',
    tags: ['Folders'],
    summary: 'Create a folder in an asset, at the top level or in a parent folder (editors, managers, org admins)',
    description: '400 when `parent_id` is not a folder of this asset; 409 when the project or organisation is archived.',
    request: { params: assetParam, body: jsonBody(FolderCreateBody) },
    responses: { 201: FOLDER_OK('Created.'), ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => {
    const folder = await service.createFolder(scopeOf(c), c.req.valid('param').asset, c.req.valid('json'));
    c.header('Location', `/v1/folders/${folder.id}`);
    return entityJson(c, folder, 201);
  },
);

folderRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'listAssetFolders',
    path: '/v1/assets/{asset}/folders',
    tags: ['Folders'],
    summary: "An asset's folders",
    request: { params: assetParam, query: listQuery },
    responses: {
      200: { ...json(listEnvelope(FolderSchema, 'FolderList'), 'A page of folders.'), headers: LIST_HEADERS },
      ...errorResponses(400, 404),
    },
  }),
  async (c) => {
    return listJson(c, await service.listFolders(scopeOf(c), c.req.valid('param').asset, c.req.valid('query'), c.req.url));
  },
);

folderRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getAssetFolder',
    path: '/v1/assets/{asset}/folders/{folder}',
    tags: ['Folders'],
    summary: "A folder, addressed under its asset (seed 000); 404 when it is not this asset's",
    request: { params: assetParam.merge(folderParam) },
    responses: { 200: FOLDER_OK('The folder.'), ...errorResponses(404) },
  }),
  async (c) => {
    const { asset, folder } = c.req.valid('param');
    return entityJson(c, await service.getFolder(scopeOf(c), folder, asset));
  },
);

folderRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getFolder',
    path: '/v1/folders/{folder}',
    tags: ['Folders'],
    summary: 'A folder',
    request: { params: folderParam },
    responses: { 200: FOLDER_OK('The folder.'), ...errorResponses(404) },
  }),
  async (c) => entityJson(c, await service.getFolder(scopeOf(c), c.req.valid('param').folder)),
);

folderRoutes.openapi(
  authedRoute({
    method: 'patch',
    operationId: 'updateFolder',
    path: '/v1/folders/{folder}',
    tags: ['Folders'],
    summary: 'Rename, or move with `parent_id` (editors, managers, org admins)',
    description:
      'A move stays within the asset: 400 when `parent_id` is not a folder of this asset, 409 when it is the folder itself or one of its sub-folders.',
    request: { params: folderParam, body: jsonBody(FolderPatchBody) },
    parameters: [IF_MATCH],
    responses: { 200: FOLDER_OK('Updated.'), ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => entityJson(c, await service.updateFolder(scopeOf(c), c.req.valid('param').folder, c.req.valid('json'), c.req.header('If-Match'))),
);

folderRoutes.openapi(
  authedRoute({
    method: 'delete',
    operationId: 'deleteFolder',
    path: '/v1/folders/{folder}',
    tags: ['Folders'],
    summary: 'Delete an empty folder, or with recursive=true the folder and everything in it (editors, managers, org admins)',
    description: '409 when the folder is not empty and `recursive` is not true. Recursive deletion removes the sub-folders, their data files and the files’ bodies.',
    request: {
      params: folderParam,
      query: z.object({ recursive: queryBool.openapi({ description: 'true: also delete the sub-folders and data files in it.' }) }),
    },
    parameters: [IF_MATCH],
    responses: { 204: { description: 'Deleted.' }, ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => {
    await service.deleteFolder(scopeOf(c), c.req.valid('param').folder, c.req.valid('query').recursive ?? false, c.req.header('If-Match'));
    return c.body(null, 204);
  },
);
