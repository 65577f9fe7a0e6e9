/**
 * Who may do what in an organisation, decided from one row fetched in the caller's batch:
 * the organisation and the caller's role in it.
 */
import { eq, or, sql, type SQL } from 'drizzle-orm';
import { alias, type SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { authed, callerId, type Caller, type CallerTerms, type Scope } from '../auth/caller';
import type { IdRef } from '../db/numbers';
import { blobs, organizations, type BlobRow, type OrganizationRow } from '../db/schema';
import { columnsAs, joined, outer } from '../db/select';
import { problems } from '../http/problem';

export type OrgRole = 'admin' | 'member';

/** SQL: the organisation `ref` names: its id or slug, or SQL that finds its id (idOfNumber). */
export function orgRef(ref: IdRef): SQL {
  if (typeof ref !== 'string') return eq(organizations.id, ref);
  return or(eq(organizations.id, ref), eq(organizations.slug, ref.toLowerCase()))!;
}

/** SQL: the id of the caller's only organisation; NULL when they belong to none or to several (seed 004's default). */
export function onlyOrganizationOf(scope: Scope): SQL<string | null> {
  return sql<string | null>`(SELECT CASE WHEN count(*) = 1 THEN max(om.organization_id) END FROM memberships om WHERE om.user_id = ${callerId(scope)})`;
}

/** SQL: the caller's role in the organisation of the current row, or NULL. */
export function callerRole(scope: Scope, organizationId: SQLiteColumn = organizations.id): SQL<OrgRole | null> {
  return sql<OrgRole | null>`(SELECT cm.role FROM memberships cm WHERE cm.organization_id = ${outer(organizationId)} AND cm.user_id = ${callerId(scope)})`;
}

/** SQL: `who` administers the organisation `organizationId` (a superuser administers every one). */
export function administers(who: CallerTerms, organizationId: SQL): SQL {
  return sql`(${who.su} OR EXISTS (SELECT 1 FROM memberships am WHERE am.organization_id = ${organizationId} AND am.user_id = ${who.me} AND am.role = 'admin'))`;
}

const logo = alias(blobs, 'logo');

/** The organisation named by `ref` (see orgRef), its logo and the caller's role, for `authed`. */
export function orgWithRole(scope: Scope, ref: IdRef) {
  return scope.db
    .select({ org: columnsAs(organizations, 'org'), logo: columnsAs(logo, 'logo'), role: callerRole(scope) })
    .from(organizations)
    .leftJoin(logo, eq(logo.id, organizations.logoBlobId))
    .where(orgRef(ref))
    .limit(1);
}

export interface OrgAccess {
  org: OrganizationRow;
  logo: BlobRow | null;
  role: OrgRole | null;
  isAdmin: boolean;
}

/**
 * 404 when the caller may not see the organisation (exactly as when it does not exist), 403 when
 * they may see it but `need` admin rights they lack.
 */
export function requireOrg(
  caller: Caller,
  rows: Awaited<ReturnType<typeof orgWithRole>>,
  need: 'read' | 'admin',
): OrgAccess {
  const row = rows[0];
  if (!row || (!row.role && !caller.isSuperuser)) throw problems.notFound('Organization');
  const isAdmin = caller.isSuperuser || row.role === 'admin';
  if (need === 'admin' && !isAdmin) throw problems.forbidden('Only an admin of this organization may do that.');
  return { org: row.org, logo: joined(row.logo), role: row.role, isAdmin };
}

export function requireWritable(access: OrgAccess): void {
  if (access.org.archived) throw problems.archived('The organization');
}

export async function loadOrganization(scope: Scope, ref: IdRef, need: 'read' | 'admin'): Promise<OrgAccess> {
  const [caller, rows] = await authed(scope, orgWithRole(scope, ref));
  return requireOrg(caller, rows, need);
}
