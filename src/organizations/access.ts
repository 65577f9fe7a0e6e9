/**
 * An organisation with the caller's rights, decided from one row fetched in the caller's batch:
 * the organisation and the caller's role in it, read as auth/access.ts says (orgRights).
 */
import { eq, or, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { ME, orgRights, orgRoleOf } from '../auth/access';
import { authed, CALLER_COLUMNS, withCaller, type Caller, type Scope } from '../auth/caller';
import { refSql, type IdRef } from '../db/numbers';
import { organizations, type BlobRow, type OrganizationRow } from '../db/schema';
import { qualified } from '../db/select';
import { bool, int, intOrNull, json, Statement, text, textOrNull, variants, type Row } from '../db/statement';
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

/**
 * What an organisation's representation and its rights need, over `organizations o` and its logo
 * `ol`. Fixed SQL, rows mapped by hand (db/statement.ts): drizzle building and mapping them was
 * most of a read's own CPU in issue 11's measurements, and every organisation-scoped read (its
 * item, its logo's download, its members, its change feed) starts with this statement.
 */
export const ORG_ROW_COLUMNS = `o.id AS o_id, o.number AS o_number, o.slug AS o_slug, o.name AS o_name, o.short_name AS o_short,
  o.description AS o_description, o.urls AS o_urls, o.contacts AS o_contacts, o.logo_blob_id AS o_logo, o.archived AS o_archived,
  o.created_at AS o_created, o.updated_at AS o_updated, o.version AS o_version,
  ol.id AS ol_id, ol.organization_id AS ol_org, ol.r2_key AS ol_key, ol.size AS ol_size, ol.sha256 AS ol_sha256,
  ol.mime_type AS ol_type, ol.created_at AS ol_created`;
const ORG_COLUMNS = `${ORG_ROW_COLUMNS}, ${orgRoleOf('o.id')} AS org_role`;
/** The join of an organisation's logo, after `organizations o`. */
export const ORG_LOGO_JOIN = 'LEFT JOIN blobs ol ON ol.id = o.logo_blob_id';

export interface OrgWithRole {
  org: OrganizationRow;
  logo: BlobRow | null;
  role: OrgRole | null;
}

/** A row of ORG_ROW_COLUMNS, mapped by hand. */
export function toOrgAndLogo(r: Row): Omit<OrgWithRole, 'role'> {
  return {
    org: {
      id: text(r.o_id),
      number: intOrNull(r.o_number),
      slug: text(r.o_slug),
      name: text(r.o_name),
      shortName: text(r.o_short),
      description: text(r.o_description),
      urls: json<string[]>(r.o_urls),
      contacts: json<unknown[]>(r.o_contacts),
      logoBlobId: textOrNull(r.o_logo),
      archived: bool(r.o_archived),
      createdAt: int(r.o_created),
      updatedAt: int(r.o_updated),
      version: int(r.o_version),
    },
    logo:
      r.ol_id === null
        ? null
        : { id: text(r.ol_id), organizationId: text(r.ol_org), r2Key: text(r.ol_key), size: int(r.ol_size), sha256: text(r.ol_sha256), mimeType: text(r.ol_type), createdAt: int(r.ol_created) },
  };
}

/** A row of ORG_COLUMNS, mapped by hand. */
const toOrgWithRole = (r: Row): OrgWithRole => ({ ...toOrgAndLogo(r), role: r.org_role as OrgRole | null });

const BY_REF = variants();

/** orgRef for an organisation named by SQL that finds its id (idOfNumber), as text over `o`. */
const orgIdIs = (ref: { text: string; params: unknown[] }) => ({ text: `o.id = ${ref.text}`, params: ref.params });

/**
 * The organisation named by `ref` (see orgRef), its logo and the caller's role, for `authed`,
 * which reads the caller check from the same row (FROM k LEFT JOIN: the row is there whenever
 * the credential is valid). The statement is built once per kind of reference.
 */
export function orgWithRole(_scope: Scope, ref: IdRef): Statement<OrgWithRole[]> {
  const found = typeof ref === 'string' ? { text: '(o.id = ? OR o.slug = ?)', params: [ref, ref.toLowerCase()] } : orgIdIs(refSql(ref));
  const statement = BY_REF(found.text, () =>
    withCaller(`SELECT ${CALLER_COLUMNS}, ${ORG_COLUMNS} FROM k LEFT JOIN organizations o ON ${found.text} ${ORG_LOGO_JOIN} LIMIT 1`),
  );
  return new Statement(statement, found.params, (rows) => rows.filter((r) => r.o_id !== null).map(toOrgWithRole), true);
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
  rows: OrgWithRole[],
  need: 'read' | 'admin',
): OrgAccess {
  const row = rows[0];
  const rights = orgRights(caller.isSuperuser, row?.role ?? null);
  if (!row || !rights.read) throw problems.notFound('Organization');
  if (need === 'admin' && !rights.admin) throw problems.forbidden('Only an admin of this organization may do that.');
  return { org: row.org, logo: row.logo, role: row.role, isAdmin: rights.admin };
}

export function requireWritable(access: OrgAccess): void {
  if (access.org.archived) throw problems.archived('The organization');
}

export async function loadOrganization(scope: Scope, ref: IdRef, need: 'read' | 'admin'): Promise<OrgAccess> {
  const [caller, rows] = await authed(scope, orgWithRole(scope, ref));
  return requireOrg(caller, rows, need);
}
