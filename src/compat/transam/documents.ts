/**
 * Documents (seed 003): `/api/v1/{documentable_type}/{documentable_id}/documents[/{id}]`, one
 * concrete path per type (assets by object_key; organisations, projects and reports by their
 * integer id), so that the document stays exact and an unknown type is an unknown path (404).
 * A document is a /v1 resource attached to the entity: the same rules, and an item answers 404,
 * as a missing one, unless it is attached to the entity of the path and the caller may see that
 * entity (TransAM looked documents up by key alone).
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { scopeOf } from '../../auth/caller';
import { idOfNumber } from '../../db/numbers';
import type { AppEnv } from '../../http/context';
import { listJson } from '../../http/list-answer';
import { binary } from '../../http/openapi';
import { createRouter } from '../../http/router';
import { json, pathParam } from '../../http/schemas';
import type { ResourceEntityType } from '../../db/schema';
import { RESOURCE_LIMITS } from '../../resources/schemas';
import * as resources from '../../resources/service';
import { readUpload } from '../../storage/file-http';
import { numberParam } from '../values';
import { jsend, transam } from './dialect';
import { LIST_HEADERS, PAGE_SIZE, servicePage, transamListQuery, transamPage } from './list';
import { document, DocumentSchema } from './render';

const KINDS: { type: ResourceEntityType; segment: string; title: string; byKey: boolean }[] = [
  { type: 'asset', segment: 'assets', title: 'Asset', byKey: true },
  { type: 'organization', segment: 'organizations', title: 'Organization', byKey: false },
  { type: 'project', segment: 'projects', title: 'Project', byKey: false },
  { type: 'report', segment: 'reports', title: 'Report', byKey: false },
];

const DESCRIPTION = z.string().trim().max(RESOURCE_LIMITS.description);
const UploadFields = z.object({ description: DESCRIPTION.optional() }).strict();
const UPLOAD_FORM = {
  type: 'object' as const,
  required: ['document'],
  properties: {
    document: binary('The file (up to the upload limit).'),
    description: { type: 'string' as const, maxLength: RESOURCE_LIMITS.description },
  },
};
const UPDATE_FORM = { type: 'object' as const, properties: { description: UPLOAD_FORM.properties.description } };

const DocumentOk = jsend(z.object({ document: DocumentSchema }), 'DocumentAnswer');
const DocumentsOk = jsend(z.object({ documents: z.array(DocumentSchema).max(PAGE_SIZE.max) }), 'DocumentList');
const Deleted = jsend(z.object({}).strict(), 'DocumentDeleted');
const docId = z.object({ id: pathParam('id', 'The document’s object_key.', 'res_01jd8z3b6q0w4y1r7k5t2m9xce') });

export const documentRoutes = createRouter();

for (const k of KINDS) {
  const param = z.object({
    documentable_id: k.byKey
      ? pathParam('documentable_id', `The ${k.type}’s object_key.`, 'ast_01jd8z3b6q0w4y1r7k5t2m9xce')
      : numberParam('documentable_id', `The ${k.type}’s id.`),
  });
  const itemParams = param.merge(docId);
  const params = (c: Context) => (c.req.valid as (t: 'param') => { documentable_id: string | number; id?: string })('param');
  const within = (c: Context): resources.Within => {
    const ref = params(c).documentable_id;
    return { type: k.type, ref: typeof ref === 'number' ? idOfNumber(k.type, ref) : ref };
  };
  const base = `/api/v1/${k.segment}/{documentable_id}/documents`;
  const origin = (c: Context) => c.req.url;

  documentRoutes.openapi(
    transam.authedRoute({
      method: 'get',
      operationId: `list${k.title}Documents`,
      path: base,
      tags: ['Documents'],
      summary: `The documents of this ${k.type} (404 for one you may not see)`,
      request: { params: param, query: transamListQuery },
      responses: { 200: { ...json(DocumentsOk, 'A page of its documents.'), headers: LIST_HEADERS }, ...transam.errorResponses(404) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const page = await resources.listResources(scopeOf(c), servicePage(q), c.req.url, within(c));
      return listJson(c, page, transamPage(c, q, (rows) => ({ documents: rows.map((r) => document(r, origin(c))) })));
    },
  );

  documentRoutes.openapi(
    transam.authedRoute({
      method: 'post',
      operationId: `create${k.title}Document`,
      path: base,
      tags: ['Documents'],
      summary: `Upload a document of this ${k.type} (those who may change it)`,
      description: 'multipart/form-data with the file as `document` and an optional `description`; the file’s name names it.',
      request: { params: param, body: { required: true, content: { 'multipart/form-data': { schema: UPLOAD_FORM } } } },
      responses: { 201: json(DocumentOk, 'Uploaded.'), ...transam.errorResponses(403, 404, 409) },
    }),
    async (c) => {
      const { input, file } = await readUpload(c, { fields: { description: 'text' }, schema: UploadFields, file: { part: 'document', required: true } });
      const meta = { name: file!.filename || 'document', description: input.description };
      const created = await resources.createResource(scopeOf(c), [{ entityType: k.type, entityId: within(c).ref }], meta, file!);
      return c.json({ status: 'success' as const, data: { document: document(created, origin(c)) } }, 201);
    },
  );

  for (const method of ['patch', 'put'] as const) {
    documentRoutes.openapi(
      transam.authedRoute({
        method,
        operationId: `${method === 'patch' ? 'update' : 'replace'}${k.title}Document`,
        path: `${base}/{id}`,
        tags: ['Documents'],
        summary: `Change a document’s description (${method.toUpperCase()}, as the seed allows either)`,
        description: 'JSON, a urlencoded form or multipart/form-data with `description`.',
        request: {
          params: itemParams,
          body: {
            required: true,
            content: { 'application/json': { schema: { ...UPDATE_FORM, additionalProperties: false } }, 'application/x-www-form-urlencoded': { schema: UPDATE_FORM }, 'multipart/form-data': { schema: UPDATE_FORM } },
          },
        },
        responses: { 200: json(DocumentOk, 'Updated.'), ...transam.errorResponses(403, 404, 409) },
      }),
      async (c: Context<AppEnv>) => {
        const { input } = await readUpload(c, { fields: { description: 'text' }, schema: UploadFields, json: true, urlencoded: true });
        const updated = await resources.updateResource(scopeOf(c), params(c).id!, input, undefined, within(c));
        return c.json({ status: 'success' as const, data: { document: document(updated, origin(c)) } }, 200);
      },
    );
  }

  documentRoutes.openapi(
    transam.authedRoute({
      method: 'delete',
      operationId: `delete${k.title}Document`,
      path: `${base}/{id}`,
      tags: ['Documents'],
      summary: 'Delete a document (its resource, as DELETE /v1/resources/{resource})',
      request: { params: itemParams },
      responses: { 200: json(Deleted, 'Deleted.'), ...transam.errorResponses(403, 404, 409) },
    }),
    async (c) => {
      await resources.deleteResource(scopeOf(c), params(c).id!, undefined, within(c));
      return c.json({ status: 'success' as const, data: {} }, 200);
    },
  );
}
