/**
 * The entities of a page of changes, as /v1 shows them: each kind read with its own module's
 * select and mapped with its own to*() (no second spelling of a representation), for the ids a
 * page names. `ids(type)` is SQL for the ids of that type on the page, so these statements ride
 * in the page's own batch (one round trip) and read only the rows the page shows.
 */
import { eq, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { selectAssets } from '../assets/access';
import { toAsset } from '../assets/schemas';
import type { Scope } from '../auth/caller';
import type { Statement } from '../db/statement';
import { selectDataFiles } from '../data/service';
import { toDataFile } from '../data/schemas';
import { assets, dataFiles, folders, memberships, projectMembers, projects, reports, resourceAttachments, resources, spheres, users, type ChangeType } from '../db/schema';
import { selectFolders } from '../folders/access';
import { toFolder } from '../folders/schemas';
import * as orgMembers from '../organizations/members';
import { selectProjects, toJoinedSelected } from '../projects/access';
import * as projectMembersOf from '../projects/members';
import { toProject } from '../projects/schemas';
import { selectReports, toReportOf } from '../reports/service';
import { selectResources, toResourceOf } from '../resources/service';
import { selectSpheres } from '../spheres/service';
import { toSphere } from '../spheres/schemas';

/** An entity as the feed shows it, keyed by `type:id` (the change's own id). */
export type Rendered = Map<string, unknown>;

const key = (type: ChangeType, id: string) => `${type}:${id}`;

/** SQL: the ids of the changes of one type on the page, and (project members) their projects. */
export type PageIds = (type: ChangeType, column?: 'entity_id' | 'project_id, entity_id') => SQL;

/**
 * The statements that read a page's entities (the organisation is rendered from the row the feed
 * reads anyway); readRendered turns their results, in the same order, into a map.
 */
export function renderQueries(scope: Scope, organizationId: SQL, ids: PageIds) {
  const inPage = (column: AnyColumn, type: ChangeType) => sql`${column} IN ${ids(type)}`;
  return [
    scope.db
      .select(orgMembers.memberColumns)
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(sql`${memberships.organizationId} = ${organizationId} AND ${inPage(memberships.userId, 'member')}`),
    selectProjects(scope, {}).where(inPage(projects.id, 'project')),
    scope.db
      .select({ ...projectMembersOf.memberColumns, projectId: projectMembers.projectId })
      .from(projectMembers)
      .innerJoin(users, eq(users.id, projectMembers.userId))
      .where(sql`(${projectMembers.projectId}, ${projectMembers.userId}) IN ${ids('project_member', 'project_id, entity_id')}`),
    selectAssets(scope, {}).where(inPage(assets.id, 'asset')),
    selectFolders(scope).where(inPage(folders.id, 'folder')),
    selectDataFiles(scope).where(inPage(dataFiles.id, 'data_file')),
    selectSpheres(scope).where(inPage(spheres.id, 'sphere')),
    // A sphere shows its asset's name.
    scope.db
      .select({ id: assets.id, number: assets.number, name: assets.name })
      .from(assets)
      .where(sql`${assets.id} IN (SELECT sa.asset_id FROM spheres sa WHERE sa.id IN ${ids('sphere')})`),
    selectReports(scope).where(inPage(reports.id, 'report')),
    selectResources(scope).where(inPage(resources.id, 'resource')),
    scope.db
      .select({ resourceId: resourceAttachments.resourceId, entityType: resourceAttachments.entityType, entityId: resourceAttachments.entityId })
      .from(resourceAttachments)
      .where(
        sql`${resourceAttachments.resourceId} IN (SELECT substr(pa.entity_id, 1, instr(pa.entity_id, '/') - 1) FROM (SELECT entity_id FROM ${ids('attachment')}) pa)
          AND ${resourceAttachments.resourceId} || '/' || ${resourceAttachments.entityType} || '/' || ${resourceAttachments.entityId} IN ${ids('attachment')}`,
      ),
  ] as const;
}

/** What a batch answers for statements `T`, in their order. */
export type Resolved<T extends readonly unknown[]> = { -readonly [K in keyof T]: T[K] extends Statement<infer R> ? R : Awaited<T[K]> };

type RenderResults = Resolved<ReturnType<typeof renderQueries>>;

export function readRendered([members, projectRows, projectMemberRows, assetRows, folderRows, fileRows, sphereRows, sphereAssets, reportRows, resourceRows, attached]: RenderResults): Rendered {
  const out: Rendered = new Map();
  for (const r of members) out.set(key('member', r.userId), orgMembers.toMember(r));
  for (const r of projectRows) out.set(key('project', r.project.id), toProject(toJoinedSelected(r)));
  for (const r of projectMemberRows) out.set(key('project_member', `${r.projectId}:${r.userId}`), projectMembersOf.toMember(r));
  for (const r of assetRows) out.set(key('asset', r.asset.id), toAsset(r));
  for (const r of folderRows) out.set(key('folder', r.folder.id), toFolder(r));
  for (const r of fileRows) out.set(key('data_file', r.file.id), toDataFile(r));
  const assetNames = new Map(sphereAssets.map((a) => [a.id, a]));
  for (const r of sphereRows) {
    const asset = assetNames.get(r.sphere.assetId);
    if (asset) out.set(key('sphere', r.sphere.id), toSphere(r, asset));
  }
  for (const r of reportRows) out.set(key('report', r.report.id), toReportOf(r));
  for (const r of resourceRows) out.set(key('resource', r.resource.id), toResourceOf(r));
  for (const a of attached) out.set(key('attachment', `${a.resourceId}/${a.entityType}/${a.entityId}`), { resource: a.resourceId, entity_type: a.entityType, id: a.entityId });
  return out;
}

/** The rendered entity of a change, if it is there: a project member is keyed by its project too. */
export function renderedOf(rendered: Rendered, type: ChangeType, id: string, project: string | null): unknown {
  return rendered.get(key(type, type === 'project_member' ? `${project}:${id}` : id));
}
