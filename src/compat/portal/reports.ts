/**
 * Reports (seed 000): the list and create (multipart with `project` and optional `asset` as
 * integers, and an optional `file`), read, change, delete and download, flat and under an asset,
 * over /v1's report service.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { scopeOf } from '../../auth/caller';
import { idOfNumber } from '../../db/numbers';
import { entityJson } from '../../http/etag';
import { listJson } from '../../http/list-answer';
import { binary, ETAG_HEADER } from '../../http/openapi';
import { Problem, problems } from '../../http/problem';
import { createRouter } from '../../http/router';
import { COUNT, json, jsonBody, SHA256 } from '../../http/schemas';
import { REPORT_LIMITS, REPORT_STATUS, ReportPatchBody, type ReportOut } from '../../reports/schemas';
import { createReport, deleteReport, getReport, listReports, reportDownload, updateReport } from '../../reports/service';
import { MULTIPART_FILE_MAX_BYTES, readUpload } from '../../storage/file-http';
import { DOWNLOAD_HEADERS, DOWNLOAD_PARAMETERS } from '../../storage/objects';
import { drfListQuery, drfPage, drfPageSchema } from '../drf';
import { NUMBER_ID, numberInput, numberParam, Z_TIME, zTime } from '../values';
import { assetParams } from './assets';
import { portal } from './dialect';

export const ReportSchema = z
  .object({
    id: NUMBER_ID,
    project: NUMBER_ID,
    asset: NUMBER_ID.nullable(),
    name: z.string().max(REPORT_LIMITS.name),
    description: z.string().max(REPORT_LIMITS.description),
    status: REPORT_STATUS,
    file: z.string().url().max(300).nullable().openapi({ description: 'Where to download its file (this API; the same credentials); null without one.' }),
    mime_type: z.string().max(255).nullable(),
    size: COUNT.nullable(),
    sha256: SHA256.nullable(),
    created_at: Z_TIME,
    updated_at: Z_TIME,
  })
  .openapi('Report');

const report =
  (c: Context) =>
  (r: ReportOut): z.infer<typeof ReportSchema> => ({
    id: r.number,
    project: r.project.number,
    asset: r.asset?.number ?? null,
    name: r.name,
    description: r.description,
    status: r.status,
    file: r.file ? portal.url(c, `/project_management/reports/${r.number}/download/`) : null,
    mime_type: r.file?.mime_type ?? null,
    size: r.file?.size ?? null,
    sha256: r.file?.sha256 ?? null,
    created_at: zTime(r.created_at),
    updated_at: zTime(r.updated_at),
  });

const ReportCreateFields = z
  .object({
    project: numberInput().openapi({ description: 'The project’s id.' }),
    asset: numberInput().nullable().optional().openapi({ description: 'Optionally, an asset of that project.' }),
    name: z.string().trim().min(1).max(REPORT_LIMITS.name).optional(),
    description: z.string().trim().max(REPORT_LIMITS.description).optional(),
    status: REPORT_STATUS.optional(),
  })
  .strict();

/** An integer id, or its digits as text (as a form field carries it). */
const ID_FIELD = { format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, maxLength: 16, pattern: '^[1-9][0-9]{0,15}$' };
const FIELDS = {
  project: { type: ['integer' as const, 'string' as const], ...ID_FIELD, description: 'The project’s id.' },
  asset: { type: ['integer' as const, 'string' as const, 'null' as const], ...ID_FIELD, description: 'Optionally, an asset of that project.' },
  name: { type: 'string' as const, minLength: 1, maxLength: REPORT_LIMITS.name, description: 'Required unless a file is sent (it takes the file’s name).' },
  description: { type: 'string' as const, maxLength: REPORT_LIMITS.description },
  status: { type: 'string' as const, enum: ['draft', 'final'] },
};
const FORM = { type: 'object' as const, required: ['project'], properties: { ...FIELDS, file: binary(`Optional; at most ${MULTIPART_FILE_MAX_BYTES} bytes.`) } };
const JSON_FORM = { type: 'object' as const, required: ['project', 'name'], properties: FIELDS, additionalProperties: false };

const DOWNLOAD_RESPONSES = {
  200: { description: 'The file, as an attachment.', headers: DOWNLOAD_HEADERS.full, content: { '*/*': { schema: binary() } } },
  206: { description: 'The requested range.', headers: DOWNLOAD_HEADERS.partial, content: { '*/*': { schema: binary() } } },
  ...portal.errorResponses(404, 416),
};

const idParams = z.object({ id: numberParam('id', 'The report’s id.') });
const downloadParams = z.object({ report_id: numberParam('report_id', 'The report’s id.') });
const pkParams = assetParams.extend({ pk: numberParam('pk', 'The report’s id.') });

/** The service names the fields of /v1's body (`project_id`, `asset_id`); seed 000's are `project` and `asset`. */
async function withSeedFields<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const errors = error instanceof Problem ? error.extra.errors : undefined;
    if (errors) for (const e of errors) e.path = e.path.replace(/^(project|asset)_id$/, '$1');
    throw error;
  }
}

export const reportRoutes = createRouter();

reportRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'listReports',
    path: '/project_management/reports/',
    tags: ['Reports'],
    summary: 'The reports of every project you may see, newest first',
    request: { query: drfListQuery },
    responses: { 200: json(drfPageSchema(ReportSchema, 'ReportList'), 'A page of reports.') },
  }),
  async (c) => {
    const q = c.req.valid('query');
    return listJson(c, await listReports(scopeOf(c), q, c.req.url), drfPage(c, q, report(c)));
  },
);

reportRoutes.openapi(
  portal.authedRoute({
    method: 'post',
    operationId: 'createReport',
    path: '/project_management/reports/',
    tags: ['Reports'],
    summary: 'Create a report in a project (editors, managers, company admins), with its file',
    description: 'multipart/form-data as the seed posts it (`name`, `description`, `status`, `project`, optional `asset`, optional `file`), or JSON without a file.',
    request: {
      body: { required: true, content: { 'multipart/form-data': { schema: FORM }, 'application/json': { schema: JSON_FORM } } },
    },
    responses: { 201: json(ReportSchema, 'Created.'), ...portal.errorResponses(403, 404, 409) },
  }),
  async (c) => {
    const { input, file } = await readUpload(c, {
      fields: { project: 'text', asset: 'text', name: 'text', description: 'text', status: 'text' },
      schema: ReportCreateFields,
      json: true,
      file: { part: 'file', required: false, names: 'name' },
    });
    const { project, asset, name, ...rest } = input;
    if (name === undefined) throw problems.invalid([{ path: 'name', message: 'Name the report, or send its file (whose name it takes).', kind: 'required' }]);
    const created = await withSeedFields(() =>
      createReport(scopeOf(c), { ...rest, name, project_id: idOfNumber('project', project), asset_id: asset == null ? asset : idOfNumber('asset', asset) }, file),
    );
    return c.json(report(c)(created), 201);
  },
);

reportRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'getReport',
    path: '/project_management/reports/{id}/',
    tags: ['Reports'],
    summary: 'A report',
    request: { params: idParams },
    responses: { 200: { ...json(ReportSchema, 'The report.'), headers: ETAG_HEADER }, ...portal.errorResponses(404) },
  }),
  async (c) => entityJson(c, report(c)(await getReport(scopeOf(c), idOfNumber('report', c.req.valid('param').id)))),
);

reportRoutes.openapi(
  portal.authedRoute({
    method: 'patch',
    operationId: 'updateReport',
    path: '/project_management/reports/{id}/',
    tags: ['Reports'],
    summary: 'Change its name, description or status (editors, managers, company admins)',
    request: { params: idParams, body: jsonBody(ReportPatchBody) },
    responses: { 200: json(ReportSchema, 'The report.'), ...portal.errorResponses(403, 404, 409) },
  }),
  async (c) => c.json(report(c)(await updateReport(scopeOf(c), idOfNumber('report', c.req.valid('param').id), c.req.valid('json'), undefined)), 200),
);

reportRoutes.openapi(
  portal.authedRoute({
    method: 'delete',
    operationId: 'deleteReport',
    path: '/project_management/reports/{id}/',
    tags: ['Reports'],
    summary: 'Delete the report and its file (editors, managers, company admins)',
    request: { params: idParams },
    responses: { 204: { description: 'Deleted.' }, ...portal.errorResponses(403, 404, 409) },
  }),
  async (c) => {
    await deleteReport(scopeOf(c), idOfNumber('report', c.req.valid('param').id), undefined);
    return c.body(null, 204);
  },
);

reportRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'downloadReport',
    path: '/project_management/reports/{report_id}/download/',
    tags: ['Reports'],
    summary: 'Download the report’s file (Range and If-None-Match honoured); 404 without one',
    request: { params: downloadParams },
    parameters: DOWNLOAD_PARAMETERS,
    responses: DOWNLOAD_RESPONSES,
  }),
  async (c) => reportDownload(c, scopeOf(c), idOfNumber('report', c.req.valid('param').report_id)),
);

reportRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'listAssetReports',
    path: '/project_management/assets/{asset_id}/reports/',
    tags: ['Reports'],
    summary: 'The reports about the asset, newest first',
    request: { params: assetParams, query: drfListQuery },
    responses: { 200: json(drfPageSchema(ReportSchema, 'AssetReportList'), 'A page of reports.'), ...portal.errorResponses(404) },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const page = await listReports(scopeOf(c), q, c.req.url, { scopeAsset: idOfNumber('asset', c.req.valid('param').asset_id) });
    return listJson(c, page, drfPage(c, q, report(c)));
  },
);

reportRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'getAssetReport',
    path: '/project_management/assets/{asset_id}/reports/{pk}/',
    tags: ['Reports'],
    summary: 'A report about the asset (404 when it is about another)',
    request: { params: pkParams },
    responses: { 200: { ...json(ReportSchema, 'The report.'), headers: ETAG_HEADER }, ...portal.errorResponses(404) },
  }),
  async (c) => {
    const { asset_id, pk } = c.req.valid('param');
    return entityJson(c, report(c)(await getReport(scopeOf(c), idOfNumber('report', pk), idOfNumber('asset', asset_id))));
  },
);

reportRoutes.openapi(
  portal.authedRoute({
    method: 'get',
    operationId: 'downloadAssetReport',
    path: '/project_management/assets/{asset_id}/reports/{pk}/download/',
    tags: ['Reports'],
    summary: 'Download the file of a report about the asset (Range and If-None-Match honoured)',
    request: { params: pkParams },
    parameters: DOWNLOAD_PARAMETERS,
    responses: DOWNLOAD_RESPONSES,
  }),
  async (c) => {
    const { asset_id, pk } = c.req.valid('param');
    return reportDownload(c, scopeOf(c), idOfNumber('report', pk), idOfNumber('asset', asset_id));
  },
);
