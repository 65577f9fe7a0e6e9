import { z } from '@hono/zod-openapi';
import { scopeOf } from '../auth/caller';
import { entityJson } from '../http/etag';
import { LIST_HEADERS, listEnvelope, listQuerySchema } from '../http/list';
import { authedRoute, binary, ETAG_HEADER, IF_MATCH } from '../http/openapi';
import { errorResponses } from '../http/problem';
import { createRouter } from '../http/router';
import { json, jsonBody, pathParam } from '../http/schemas';
import { MULTIPART_FILE_MAX_BYTES, readUpload, REPLACEMENT, uploadBody } from '../storage/file-http';
import { TYPE_CHECKED } from '../storage/uploads';
import { REPORT_FORM_FIELDS, REPORT_LIMITS, REPORT_STATUS, ReportCreateBody, ReportPatchBody, ReportSchema } from './schemas';
import * as service from './service';
import { DOWNLOAD_PARAMETERS } from '../storage/objects';
import { listJson } from '../http/list-answer';

const reportParam = z.object({ report: pathParam('report', 'Report id (rpt_…).', 'rpt_01jd8z3b6q0w4y1r7k5t2m9xce') });
const assetParam = z.object({ asset: pathParam('asset', 'Asset id (ast_…).', 'ast_01jd8z3b6q0w4y1r7k5t2m9xce') });
const assetReportParams = assetParam.merge(reportParam);

const baseQuery = listQuerySchema(service.reportListSpec).extend({ status: REPORT_STATUS.optional() });
const listQuery = baseQuery.extend({
  project: z.string().max(64).optional().openapi({ description: 'Only this project’s reports (prj_…).' }),
  asset: z.string().max(64).optional().openapi({ description: 'Only the reports about this asset (ast_…).' }),
});

const ReportList = listEnvelope(ReportSchema, 'ReportList');
const ITEM_OK = { ...json(ReportSchema, 'The report.'), headers: ETAG_HEADER };

/** The form's text fields, with the limits ReportCreateBody checks. */
const MULTIPART_REPORT = {
  type: 'object' as const,
  required: ['project_id'],
  properties: {
    project_id: { type: 'string' as const, maxLength: REPORT_LIMITS.id },
    asset_id: { type: 'string' as const, maxLength: REPORT_LIMITS.id },
    name: { type: 'string' as const, maxLength: REPORT_LIMITS.name, description: 'Defaults to the file name.' },
    description: { type: 'string' as const, maxLength: REPORT_LIMITS.description },
    status: { type: 'string' as const, enum: ['draft', 'final'] },
    file: binary(`Optional; at most ${MULTIPART_FILE_MAX_BYTES} bytes in this form (larger files: PUT …/file). ${TYPE_CHECKED}`),
  },
};

const DOWNLOAD_RESPONSES = {
  200: { description: 'The file, as an attachment.', content: { '*/*': { schema: binary() } } },
  206: { description: 'The requested range.' },
  ...errorResponses(404),
  416: errorResponses(416)[416]!,
};

export const reportRoutes = createRouter();

reportRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'listReports',
    path: '/v1/reports',
    tags: ['Reports'],
    summary: 'Every report you may see',
    description: 'The reports of every project you may see (a project in the trash hides its reports), narrowed by project, asset and status.',
    request: { query: listQuery },
    responses: { 200: { ...json(ReportList, 'A page of reports.'), headers: LIST_HEADERS }, ...errorResponses(400) },
  }),
  async (c) => {
    return listJson(c, await service.listReports(scopeOf(c), c.req.valid('query'), c.req.url));
  },
);

reportRoutes.openapi(
  authedRoute({
    method: 'post',
    operationId: 'createReport',
    path: '/v1/reports',
    tags: ['Reports'],
    summary: 'Create a report (editors, managers, org admins of the project)',
    description:
      'JSON without a file, or multipart/form-data with the same fields and an optional `file` (as seed 000 posts it). `asset_id`, when given, must be an asset of the project.',
    request: {
      body: { required: false, content: { 'application/json': { schema: ReportCreateBody }, 'multipart/form-data': { schema: MULTIPART_REPORT } } },
    },
    responses: { 201: { ...json(ReportSchema, 'Created.'), headers: ETAG_HEADER }, ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => {
    const { input, file } = await readUpload(c, {
      fields: REPORT_FORM_FIELDS,
      schema: ReportCreateBody,
      json: true,
      file: { part: 'file', required: false, names: 'name' },
    });
    const report = await service.createReport(scopeOf(c), input, file);
    c.header('Location', `/v1/reports/${report.id}`);
    return entityJson(c, report, 201);
  },
);

reportRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getReport',
    path: '/v1/reports/{report}',
    tags: ['Reports'],
    summary: 'A report',
    request: { params: reportParam },
    responses: { 200: ITEM_OK, ...errorResponses(404) },
  }),
  async (c) => entityJson(c, await service.getReport(scopeOf(c), c.req.valid('param').report)),
);

reportRoutes.openapi(
  authedRoute({
    method: 'patch',
    operationId: 'updateReport',
    path: '/v1/reports/{report}',
    tags: ['Reports'],
    summary: 'Change the name, description or status (editors, managers, org admins)',
    request: { params: reportParam, body: jsonBody(ReportPatchBody) },
    parameters: [IF_MATCH],
    responses: { 200: { ...json(ReportSchema, 'Updated.'), headers: ETAG_HEADER }, ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => entityJson(c, await service.updateReport(scopeOf(c), c.req.valid('param').report, c.req.valid('json'), c.req.header('If-Match'))),
);

reportRoutes.openapi(
  authedRoute({
    method: 'delete',
    operationId: 'deleteReport',
    path: '/v1/reports/{report}',
    tags: ['Reports'],
    summary: 'Delete a report and its file (editors, managers, org admins)',
    request: { params: reportParam },
    parameters: [IF_MATCH],
    responses: { 204: { description: 'Deleted.' }, ...errorResponses(403, 404, 409) },
  }),
  async (c) => {
    await service.deleteReport(scopeOf(c), c.req.valid('param').report, c.req.header('If-Match'));
    return c.body(null, 204);
  },
);

reportRoutes.openapi(
  authedRoute({
    method: 'put',
    operationId: 'putReportFile',
    path: '/v1/reports/{report}/file',
    tags: ['Reports'],
    summary: "Attach or replace the report's file (editors, managers, org admins)",
    description:
      'multipart/form-data with a `file`, or the file itself as the body (any media type, streamed up to the upload limit). The media type is checked against the content where the content proves one.',
    request: { params: reportParam, body: uploadBody({}) },
    parameters: [IF_MATCH],
    responses: { 200: { ...json(ReportSchema, 'The report with its new file.'), headers: ETAG_HEADER }, ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => {
    const { file } = await readUpload(c, REPLACEMENT);
    return entityJson(c, await service.putReportFile(scopeOf(c), c.req.valid('param').report, file!, c.req.header('If-Match')));
  },
);

reportRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'downloadReport',
    path: '/v1/reports/{report}/download',
    tags: ['Reports'],
    summary: "Download the report's file (404 when it has none)",
    request: { params: reportParam },
    parameters: DOWNLOAD_PARAMETERS,
    responses: DOWNLOAD_RESPONSES,
  }),
  async (c) => service.reportDownload(c, scopeOf(c), c.req.valid('param').report),
);

reportRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'listAssetReports',
    path: '/v1/assets/{asset}/reports',
    tags: ['Reports'],
    summary: 'The reports about an asset',
    request: { params: assetParam, query: baseQuery },
    responses: { 200: { ...json(ReportList, 'A page of reports.'), headers: LIST_HEADERS }, ...errorResponses(400, 404) },
  }),
  async (c) => {
    return listJson(c, await service.listReports(scopeOf(c), c.req.valid('query'), c.req.url, { scopeAsset: c.req.valid('param').asset }));
  },
);

reportRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'getAssetReport',
    path: '/v1/assets/{asset}/reports/{report}',
    tags: ['Reports'],
    summary: 'A report about this asset',
    request: { params: assetReportParams },
    responses: { 200: ITEM_OK, ...errorResponses(404) },
  }),
  async (c) => {
    const { asset, report } = c.req.valid('param');
    return entityJson(c, await service.getReport(scopeOf(c), report, asset));
  },
);

reportRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'downloadAssetReport',
    path: '/v1/assets/{asset}/reports/{report}/download',
    tags: ['Reports'],
    summary: "Download the file of a report about this asset (404 when it has none)",
    request: { params: assetReportParams },
    parameters: DOWNLOAD_PARAMETERS,
    responses: DOWNLOAD_RESPONSES,
  }),
  async (c) => {
    const { asset, report } = c.req.valid('param');
    return service.reportDownload(c, scopeOf(c), report, asset);
  },
);
