/**
 * Reports: a project's documents, optionally about one of its assets, with an optional file in
 * R2. Rights are the project's (projects/access.ts): those who see the project read its reports
 * (a project in the trash hides them); editors, managers and org admins of a writable project
 * create, change and delete them. Files are written to R2 before the rows that name them.
 */
import { and, eq, sql } from 'drizzle-orm';
import { isForeignKeyFailure, REFUSED_BY_TRIGGER, refusedByTrigger } from '../db/errors';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Context } from 'hono';
import { authed, withCaller, type Caller, type ResultOf, type Scope } from '../auth/caller';
import { assetWithAccess, requireAsset } from '../assets/access';
import { VISIBLE_PROJECTS } from '../auth/access';
import { refSql, type IdRef } from '../db/numbers';
import { assets, blobs, projects, reports, users, type ReportRow } from '../db/schema';
import { columnsAs, joined, pick } from '../db/select';
import { checkIfMatch, versionGuard } from '../http/etag';
import { Conditions, int, intOrNull, Statement, text, textOrNull, variants, type Row } from '../db/statement';
import { planTextPage, type ListQuery, type ListSpec } from '../http/list';
import { Problem, problems } from '../http/problem';
import { newId } from '../lib/ids';
import { projectWithAccess, requireProject, requireProjectWritable, type AccessRow, type ProjectAccess } from '../projects/access';
import { discardObjects } from '../storage/logos';
import { blobOwnedBy, objectResponse } from '../storage/objects';
import { storeFile, type IncomingFile } from '../storage/uploads';
import { toReport, type ReportChanges, type ReportInput, type ReportJoined } from './schemas';
import { changeSet, touched } from '../db/changes';

const reportCreator = alias(users, 'report_creator');

/** SQL: the organisation the project belongs to when the statement runs (blobOwnedBy). */
const organizationOfProject = (projectId: string) => sql<string | null>`(SELECT organization_id FROM projects WHERE id = ${projectId})`;
const reportFile = alias(blobs, 'report_file');

/**
 * SELECT a report with its project and asset names, its file blob and its creator, as a drizzle
 * query, for batches of drizzle queries (the change feed, changes/render.ts); the authenticated
 * reads use the fixed statements below.
 */
export function selectReports(scope: Scope) {
  return scope.db
    .select({
      report: columnsAs(reports, 'r'),
      project: pick({ id: projects.id, number: projects.number, name: projects.name }, 'rp'),
      asset: pick({ id: assets.id, number: assets.number, name: assets.name }, 'ra'),
      file: columnsAs(reportFile, 'rf'),
      creator: pick({ id: reportCreator.id, username: reportCreator.username }, 'rc'),
    })
    .from(reports)
    .leftJoin(projects, eq(projects.id, reports.projectId))
    .leftJoin(assets, eq(assets.id, reports.assetId))
    .leftJoin(reportFile, eq(reportFile.id, reports.blobId))
    .leftJoin(reportCreator, eq(reportCreator.id, reports.createdBy));
}

type ReportListRow = Awaited<ReturnType<typeof selectReports>>[number];

/**
 * What a report representation needs, over `reports r` with its project `rp`, asset `ra`, file
 * `rf` and creator `rc`. Fixed SQL, rows mapped by hand (db/statement.ts): drizzle building and
 * mapping them was most of a read's own CPU in issue 11's measurements.
 */
const REPORT_COLUMNS = `r.id AS r_id, r.number AS r_number, r.project_id AS r_project, r.asset_id AS r_asset, r.name AS r_name,
  r.description AS r_description, r.status AS r_status, r.blob_id AS r_blob, r.created_by AS r_created_by,
  r.created_at AS r_created, r.updated_at AS r_updated, r.version AS r_version,
  rp.id AS rp_id, rp.number AS rp_number, rp.name AS rp_name, ra.id AS ra_id, ra.number AS ra_number, ra.name AS ra_name,
  rf.id AS rf_id, rf.organization_id AS rf_org, rf.r2_key AS rf_key, rf.size AS rf_size, rf.sha256 AS rf_sha256,
  rf.mime_type AS rf_type, rf.created_at AS rf_created, rc.id AS rc_id, rc.username AS rc_username`;
const REPORT_FROM = `reports r LEFT JOIN projects rp ON rp.id = r.project_id LEFT JOIN assets ra ON ra.id = r.asset_id
  LEFT JOIN blobs rf ON rf.id = r.blob_id LEFT JOIN users rc ON rc.id = r.created_by`;

/** A row of REPORT_COLUMNS, mapped by hand. */
function toReportJoined(r: Row): ReportJoined {
  return {
    report: {
      id: text(r.r_id),
      number: intOrNull(r.r_number),
      projectId: text(r.r_project),
      assetId: textOrNull(r.r_asset),
      name: text(r.r_name),
      description: text(r.r_description),
      status: r.r_status as ReportRow['status'],
      blobId: textOrNull(r.r_blob),
      createdBy: textOrNull(r.r_created_by),
      createdAt: int(r.r_created),
      updatedAt: int(r.r_updated),
      version: int(r.r_version),
    },
    project: { id: textOrNull(r.rp_id), number: intOrNull(r.rp_number), name: textOrNull(r.rp_name) },
    asset: { id: textOrNull(r.ra_id), number: intOrNull(r.ra_number), name: textOrNull(r.ra_name) },
    file:
      r.rf_id === null
        ? null
        : { id: text(r.rf_id), organizationId: text(r.rf_org), r2Key: text(r.rf_key), size: int(r.rf_size), sha256: text(r.rf_sha256), mimeType: text(r.rf_type), createdAt: int(r.rf_created) },
    creator: { id: textOrNull(r.rc_id), username: textOrNull(r.rc_username) },
  };
}

const BY_ID = variants();

/** A report; with `assetId`, only if it is about that asset (none otherwise, as for an unknown id). `reportId` may be SQL that finds it. */
function reportById(reportId: IdRef, assetId?: IdRef): Statement<ReportJoined[]> {
  const ref = refSql(reportId);
  const asset = assetId === undefined ? undefined : refSql(assetId);
  const statement = BY_ID(`${ref.text}|${asset ? asset.text : ''}`, () =>
    withCaller(`SELECT ${REPORT_COLUMNS} FROM ${REPORT_FROM} WHERE r.id = ${ref.text}${asset ? ` AND r.asset_id = ${asset.text}` : ''} LIMIT 1`),
  );
  return new Statement(statement, asset ? [...ref.params, ...asset.params] : ref.params, (rows) => rows.map(toReportJoined));
}

export const reportListSpec: ListSpec<ReportJoined, string> = {
  fields: {
    name: { expr: 'r.name', key: (r) => r.report.name },
    created_at: { expr: 'r.created_at', key: (r) => r.report.createdAt },
    updated_at: { expr: 'r.updated_at', key: (r) => r.report.updatedAt },
  },
  tiebreaker: { expr: 'r.id', key: (r) => r.report.id },
  defaultOrdering: '-created_at',
};

export interface ReportFilters {
  project?: string | undefined;
  asset?: string | undefined;
  status?: ReportRow['status'] | undefined;
}

const LIST = variants();
const COUNT = variants();

/** Every report the caller may see (through its project), or with `scopeAsset` one asset's (404 when it is hidden). */
export async function listReports(scope: Scope, q: ListQuery & ReportFilters, url: string, opts: { scopeAsset?: IdRef } = {}) {
  const plan = planTextPage(reportListSpec, q);
  const c = new Conditions();
  if (opts.scopeAsset !== undefined) {
    const asset = refSql(opts.scopeAsset);
    c.add(`a${asset.text}`, `r.asset_id = ${asset.text}`, ...asset.params);
  } else {
    // In one asset, its visibility is checked once (requireAsset); across projects, per row.
    c.add('v', `r.project_id IN ${VISIBLE_PROJECTS}`);
  }
  if (q.project !== undefined) c.add('p', 'r.project_id = ?', q.project);
  if (q.asset !== undefined) c.add('s', 'r.asset_id = ?', q.asset);
  if (q.status !== undefined) c.add('t', 'r.status = ?', q.status);
  const { variant, params, text: where } = c;
  const page = LIST(`${variant}|${plan.variant}`, () =>
    withCaller(`SELECT ${REPORT_COLUMNS} FROM ${REPORT_FROM} WHERE ${where} ${plan.keyset} ORDER BY ${plan.orderBy} LIMIT ? OFFSET ?`),
  );
  const count = COUNT(variant, () => withCaller(`SELECT count(*) AS n FROM reports r WHERE ${where}`));
  const [caller, rows, counted, assetRows] = await authed(
    scope,
    new Statement(page, [...params, ...plan.keysetParams, plan.limit, plan.offset], (found) => found.map(toReportJoined)),
    new Statement(count, params, (found) => (found[0]?.n as number | undefined) ?? 0),
    assetWithAccess(scope, opts.scopeAsset ?? ''),
  );
  if (opts.scopeAsset !== undefined) requireAsset(caller, assetRows, 'read');
  const finished = plan.finish(rows, counted, url);
  return { ...finished, results: finished.results.map(toReport) };
}

/** The project of a report with the caller's roles, found in the same statement. */
const projectOfReport = (scope: Scope, reportId: IdRef) =>
  projectWithAccess(scope, sql<string | null>`(SELECT rx.project_id FROM reports rx WHERE rx.id = ${reportId})`);

/** requireProject, answering a hidden project as a missing report (the caller asked for the report). */
function requireReportProject(caller: Caller, rows: AccessRow[], need: 'read' | 'write'): ProjectAccess {
  try {
    return requireProject(caller, rows, need);
  } catch (error) {
    if (error instanceof Problem && error.status === 404) throw problems.notFound('Report');
    throw error;
  }
}

/**
 * One round trip: the caller, the report and the rights on it. Through the project for the flat
 * routes; through the asset for the nested ones (`assetId`: the report must be about it).
 * `reportId` may be SQL that finds it (idOfNumber).
 */
async function loadReport(scope: Scope, reportId: IdRef, need: 'read' | 'write', assetId?: IdRef) {
  let caller: Caller;
  let rows: ReportJoined[];
  let project: ProjectAccess | null = null;
  if (assetId !== undefined) {
    let assetRows;
    [caller, assetRows, rows] = await authed(scope, assetWithAccess(scope, assetId), reportById(reportId, assetId));
    requireAsset(caller, assetRows, 'read');
  } else {
    let projectRows;
    [caller, projectRows, rows] = await authed(scope, ...reportWithAccess(scope, reportId));
    project = requireReportProject(caller, projectRows, need);
  }
  const row = rows[0];
  if (!row) throw problems.notFound('Report');
  if (need === 'write' && project) requireProjectWritable(project);
  return { caller, project, row, report: toReport(row) };
}

/** A report with its project's rights, for `authed` (the flat routes' way): [project rows, report rows]. */
export function reportWithAccess(scope: Scope, reportId: IdRef) {
  return [projectOfReport(scope, reportId), reportById(reportId)] as const;
}

/** The report a reader may see (404 as for a missing one otherwise), as /v1 shows it. */
export function requireReadableReport(caller: Caller, projectRows: ResultOf<ReturnType<typeof projectOfReport>>, rows: ReportJoined[]) {
  requireReportProject(caller, projectRows, 'read');
  const row = rows[0];
  if (!row) throw problems.notFound('Report');
  return toReport(row);
}

/** The representation of a row of selectReports. */
export const toReportOf = (row: ReportListRow) => toReport({ ...row, file: joined(row.file) });

export async function getReport(scope: Scope, reportId: IdRef, assetId?: IdRef) {
  return (await loadReport(scope, reportId, 'read', assetId)).report;
}


/** Creates a report, with its file when one is sent (two D1 round trips: the rights, then the rows). */
/** `project_id` and `asset_id` are ids, or SQL that finds them (a dialect's numbers). */
export async function createReport(scope: Scope, input: Omit<ReportInput, 'project_id' | 'asset_id'> & { project_id: IdRef; asset_id?: IdRef | null | undefined }, file: IncomingFile | null) {
  const [caller, projectRows, assetRows] = await authed(
    scope,
    projectWithAccess(scope, input.project_id),
    scope.db
      .select({ id: assets.id, number: assets.number, name: assets.name })
      .from(assets)
      .where(and(eq(assets.id, input.asset_id ?? ''), eq(assets.projectId, input.project_id)))
      .limit(1),
  );
  const access = requireProject(caller, projectRows, 'write');
  requireProjectWritable(access);
  const asset = input.asset_id ? assetRows[0] : null;
  if (input.asset_id && !asset) throw problems.invalid([{ path: 'asset_id', message: 'No such asset in this project.' }]);
  const stored = file ? await storeFile(scope, access.project.organizationId, 'report', file, { maxBytes: scope.settings.uploadMaxBytes }) : null;
  const values = {
    id: newId('rpt'),
    projectId: access.project.id,
    assetId: asset?.id ?? null,
    name: input.name,
    description: input.description ?? '',
    status: input.status ?? 'draft',
    blobId: stored?.id ?? null,
    createdBy: caller.userId,
    createdAt: scope.now,
    updatedAt: scope.now,
  } satisfies typeof reports.$inferInsert;
  let created: ReportRow | undefined;
  try {
    [[created]] = await scope.db.batch([
      scope.db.insert(reports).values(values).returning(),
      ...(stored ? [scope.db.insert(blobs).values(blobOwnedBy(stored, organizationOfProject(access.project.id)))] : []),
    ]);
  } catch (error) {
    if (stored) await discardObjects(scope, [stored.r2Key]);
    if (isForeignKeyFailure(error)) throw problems.notFound('Project');
    // The asset moved to another project (or was deleted) after the read: a report follows its asset.
    if (refusedByTrigger(error, REFUSED_BY_TRIGGER.reportAsset)) {
      throw problems.conflict('The asset left this project meanwhile; fetch it again and retry.', [{ path: 'asset_id', message: 'No longer in this project.' }]);
    }
    throw error;
  }
  return toReport({
    report: created!,
    project: { id: access.project.id, number: access.project.number, name: access.project.name },
    asset: asset ?? { id: null, number: null, name: null },
    file: stored,
    creator: { id: caller.userId, username: caller.username },
  });
}

export async function updateReport(scope: Scope, reportId: IdRef, changes: ReportChanges, ifMatch: string | undefined) {
  const { row, report } = await loadReport(scope, reportId, 'write');
  await checkIfMatch(ifMatch, report);
  const set = changeSet(changes, { name: 'name', description: 'description', status: 'status' }, reports.version, scope.now);
  const [updated] = await scope.db
    .update(reports)
    .set(set as typeof reports.$inferInsert)
    .where(and(eq(reports.id, row.report.id), versionGuard(ifMatch, reports.version, row.report.version)))
    .returning();
  if (!updated) throw problems.preconditionFailed();
  return toReport({ ...row, report: updated });
}

/**
 * Attaches a file, or replaces the one there. Race-safe as logos are: the row changes only if it
 * still names the file that was read (and, with If-Match, has the version read); the blob rows
 * change in the same batch only if that update took effect.
 */
export async function putReportFile(scope: Scope, reportId: string, file: IncomingFile, ifMatch: string | undefined) {
  const { project, row, report } = await loadReport(scope, reportId, 'write');
  await checkIfMatch(ifMatch, report);
  const old = row.file;
  const stored = await storeFile(scope, project!.project.organizationId, 'report', file, { maxBytes: scope.settings.uploadMaxBytes });
  const tookEffect = sql`EXISTS (SELECT 1 FROM reports rt WHERE rt.id = ${row.report.id} AND rt.blob_id = ${stored.id})`;
  let updated: ReportRow | undefined;
  try {
    const [, changed] = await scope.db.batch([
      scope.db.insert(blobs).values(blobOwnedBy(stored, organizationOfProject(row.report.projectId))),
      scope.db
        .update(reports)
        .set({ blobId: stored.id, ...touched(reports.version, scope.now) })
        .where(
          and(
            eq(reports.id, row.report.id),
            old ? eq(reports.blobId, old.id) : sql`${reports.blobId} IS NULL`,
            versionGuard(ifMatch, reports.version, row.report.version),
          ),
        )
        .returning(),
      ...(old ? [scope.db.delete(blobs).where(and(eq(blobs.id, old.id), tookEffect))] : []),
      scope.db.delete(blobs).where(and(eq(blobs.id, stored.id), sql`NOT ${tookEffect}`)),
    ]);
    updated = changed[0];
    if (!updated) {
      throw ifMatch ? problems.preconditionFailed() : problems.conflict('The report changed while this file was uploading; try again.');
    }
  } catch (error) {
    await discardObjects(scope, [stored.r2Key]);
    throw error;
  }
  if (old) scope.waitUntil(discardObjects(scope, [old.r2Key]));
  return toReport({ ...row, report: updated, file: stored });
}


/** The rows in one batch (guarded by If-Match), then the R2 object. */
export async function deleteReport(scope: Scope, reportId: IdRef, ifMatch: string | undefined) {
  const { row, report } = await loadReport(scope, reportId, 'write');
  await checkIfMatch(ifMatch, report);
  const id = row.report.id;
  const file = row.file;
  const [deleted] = await scope.db.batch([
    scope.db
      .delete(reports)
      .where(and(eq(reports.id, id), versionGuard(ifMatch, reports.version, row.report.version)))
      .returning({ id: reports.id }),
    ...(file ? [scope.db.delete(blobs).where(and(eq(blobs.id, file.id), sql`NOT EXISTS (SELECT 1 FROM reports rb WHERE rb.blob_id = ${file.id})`))] : []),
  ]);
  if (deleted.length === 0) throw ifMatch ? problems.preconditionFailed() : problems.notFound('Report');
  if (file) scope.waitUntil(discardObjects(scope, [file.r2Key]));
}

const EXTENSIONS: Record<string, string> = {
  'application/pdf': 'pdf',
  'application/json': 'json',
  'application/zip': 'zip',
  'application/msword': 'doc',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.oasis.opendocument.text': 'odt',
  'image/gif': 'gif',
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'text/csv': 'csv',
  'text/html': 'html',
  'text/plain': 'txt',
};

/** The file name a download offers: the report's name, with the file's extension unless it has one. */
export function reportFilename(name: string, mimeType: string): string {
  const ext = EXTENSIONS[mimeType];
  if (!ext || /\.[A-Za-z0-9]{1,8}$/.test(name)) return name;
  return `${name}.${ext}`;
}

export async function reportDownload(c: Context, scope: Scope, reportId: IdRef, assetId?: IdRef): Promise<Response> {
  const { row } = await loadReport(scope, reportId, 'read', assetId);
  if (!row.file) throw problems.notFound('File');
  return objectResponse(c, scope.files, row.file.r2Key, { filename: reportFilename(row.report.name, row.file.mimeType) });
}
