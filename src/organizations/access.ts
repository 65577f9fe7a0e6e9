/**
 * An organisation with the caller's rights, decided from one row fetched in the caller's batch:
 * the organisation and the caller's role in it, read as auth/access.ts says (orgRights).
 */
import { eq, or, sql, type SQL } from 'drizzle-orm';
import { alias, type SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { ME, orgRights, orgRoleOf } from '../auth/access';
import { authed, type Caller, type Scope } from '../auth/caller';
import type { IdRef } from '../db/numbers';
import { blobs, organizations, type BlobRow, type OrganizationRow } from '../db/schema';
import { columnsAs, joined, qualified } from '../db/select';
import { problems } from '../http/problem';

export type OrgRole = 'admin' | 'member';

/** SQL: the organisation `ref` names: its id or slug, or SQL that finds its id (idOfNumber). */
export function orgRef(ref: IdRef): SQL {
  if (typeof ref !== 'string') return eq(organizations.id, ref);
  return or(eq(organizations.id, ref), eq(organizations.slug, ref.toLowerCase()))!;
}

/** SQL: the id of the caller's only organisation; NULL when they belong to none or to several (seed 004's default). */
export function onlyOrganizationOf(): SQL<string | null> {
  return sql<string | null>`(SELECT CASE WHEN count(*) = 1 THEN max(om.organization_id) END FROM memberships om WHERE om.user_id = ${sql.raw(ME)})`;
}

/** SQL: the caller's role in the organisation of the current row, or NULL. */
export function callerRole(organizationId: SQLiteColumn = organizations.id): SQL<OrgRole | null> {
  return sql.raw(orgRoleOf(qualified(organizationId))) as SQL<OrgRole | null>;
}

const logo = alias(blobs, 'logo');

/** The organisation named by `ref` (see orgRef), its logo and the caller's role, for `authed`. */
export function orgWithRole(scope: Scope, ref: IdRef) {
  return scope.db
    .select({ org: columnsAs(organizations, 'org'), logo: columnsAs(logo, 'logo'), role: callerRole() })
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
  const rights = orgRights(caller.isSuperuser, row?.role ?? null);
  if (!row || !rights.read) throw problems.notFound('Organization');
  if (need === 'admin' && !rights.admin) throw problems.forbidden('Only an admin of this organization may do that.');
  return { org: row.org, logo: joined(row.logo), role: row.role, isAdmin: rights.admin };
}

export function requireWritable(access: OrgAccess): void {
  if (access.org.archived) throw problems.archived('The organization');
}

export async function loadOrganization(scope: Scope, ref: IdRef, need: 'read' | 'admin'): Promise<OrgAccess> {
  const [caller, rows] = await authed(scope, orgWithRole(scope, ref));
  return requireOrg(caller, rows, need);
}
