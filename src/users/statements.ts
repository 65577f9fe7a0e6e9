/**
 * The users' reads as fixed statements (db/statement.ts): SQL text built once per isolate (per
 * variant: which filters a list was given, how a user or an organisation is named), rows mapped
 * by hand. Who may see a user is auth/access.ts's userVisible; an organisation, its orgVisible.
 */
import { orgVisible, userDeletable, userVisible } from '../auth/access';
import { CALLER_COLUMNS, withCaller } from '../auth/caller';
import { refSql, type IdRef } from '../db/numbers';
import type { UserRow } from '../db/schema';
import { bool, int, intOrNull, Statement, text, textOrNull, variants, type Row } from '../db/statement';
import type { OrgRole } from '../organizations/access';

/** A user's columns but the password hash, which no read needs. */
export type UserFields = Omit<UserRow, 'passwordHash'>;

/** What a user's representation and its writes read, over `users u`. */
export const USER_COLUMNS = `u.id AS u_id, u.number AS u_number, u.username AS u_username, u.email AS u_email, u.name AS u_name,
  u.is_superuser AS u_super, u.is_active AS u_active, u.last_login AS u_login, u.date_joined AS u_joined,
  u.updated_at AS u_updated, u.version AS u_version, u.created_by_organization_id AS u_made_by`;

/** A row of USER_COLUMNS, mapped by hand. */
export function toUserFields(r: Row): UserFields {
  return {
    id: text(r.u_id),
    number: intOrNull(r.u_number),
    username: text(r.u_username),
    email: text(r.u_email),
    name: text(r.u_name),
    isSuperuser: bool(r.u_super),
    isActive: bool(r.u_active),
    lastLogin: intOrNull(r.u_login),
    dateJoined: int(r.u_joined),
    updatedAt: int(r.u_updated),
    version: int(r.u_version),
    createdByOrganizationId: textOrNull(r.u_made_by),
  };
}

/** SQL: the caller may see the user `u`. */
export const VISIBLE_U = userVisible('u.id');

/** A user named by id, username or email (lower-cased, as stored), or by SQL that finds their id, as text over `alias`. */
export function userRefText(ref: IdRef, alias: string): { text: string; params: unknown[] } {
  if (typeof ref !== 'string') {
    const found = refSql(ref);
    return { text: `${alias}.id = ${found.text}`, params: found.params };
  }
  const r = ref.trim().toLowerCase();
  return { text: `(${alias}.id = ? OR ${alias}.username = ? OR ${alias}.email = ?)`, params: [ref, r, r] };
}

/** An organisation named by id or slug, or by SQL that finds its id, as text over `alias` (organizations/access.ts, orgRef). */
export function orgRefText(ref: IdRef, alias: string): { text: string; params: unknown[] } {
  if (typeof ref !== 'string') {
    const found = refSql(ref);
    return { text: `${alias}.id = ${found.text}`, params: found.params };
  }
  return { text: `(${alias}.id = ? OR ${alias}.slug = ?)`, params: [ref, ref.toLowerCase()] };
}

export interface MembershipSummary {
  id: string;
  number: number;
  slug: string;
  name: string;
  short_name: string;
  role: OrgRole;
}

const PROFILE = variants();
const SHARED = variants();

export interface ProfileRow {
  user: UserFields;
  deletable: boolean;
}

/**
 * The user `ref` names, if the caller may see them, with whether the caller may delete the
 * account, in a row with the caller's columns (FROM k LEFT JOIN: there whenever the credential
 * is valid), so that the user and the caller check are one statement.
 */
export function profileOf(ref: IdRef): Statement<ProfileRow[]> {
  const found = userRefText(ref, 'u');
  const deletable = userDeletable({ id: 'u.id', isSuperuser: 'u.is_superuser', createdByOrganizationId: 'u.created_by_organization_id' });
  const statement = PROFILE(found.text, () =>
    withCaller(`SELECT ${CALLER_COLUMNS}, ${USER_COLUMNS}, ${deletable} AS deletable FROM k LEFT JOIN users u ON ${found.text} AND ${VISIBLE_U} LIMIT 1`),
  );
  return new Statement(
    statement,
    found.params,
    (rows) => rows.filter((r) => r.u_id !== null).map((r) => ({ user: toUserFields(r), deletable: bool(r.deletable) })),
    true,
  );
}

/** The organisations of the user `ref` names that the caller may see, by name. */
export function sharedOrganizations(ref: IdRef): Statement<MembershipSummary[]> {
  const found = userRefText(ref, 'us');
  const statement = SHARED(found.text, () =>
    withCaller(`SELECT o.id AS id, o.number AS number, o.slug AS slug, o.name AS name, o.short_name AS short_name, m.role AS role
      FROM memberships m JOIN organizations o ON o.id = m.organization_id
      WHERE m.user_id = (SELECT us.id FROM users us WHERE ${found.text} LIMIT 1) AND ${orgVisible('o.id')}
      ORDER BY o.name, o.id`),
  );
  return new Statement(statement, found.params, (rows) =>
    rows.map((r) => ({ id: text(r.id), number: int(r.number), slug: text(r.slug), name: text(r.name), short_name: text(r.short_name), role: r.role as OrgRole })),
  );
}
