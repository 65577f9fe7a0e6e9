import { and, eq, sql } from 'drizzle-orm';
import { orgVisible } from '../auth/access';
import { authed, countWithCaller, withCaller, type Scope } from '../auth/caller';
import { conflictOnUnique } from '../db/errors';
import type { IdRef } from '../db/numbers';
import { blobs, memberships, organizations, type OrganizationRow } from '../db/schema';
import { Statement, variants } from '../db/statement';
import { checkIfMatch, versionGuard } from '../http/etag';
import { planTextPage, textPageSql, type ListQuery, type ListSpec } from '../http/list';
import { problems } from '../http/problem';
import { newId } from '../lib/ids';
import { loadOrganization, ORG_LOGO_JOIN, ORG_ROW_COLUMNS, requireWritable, toOrgAndLogo, type OrgWithRole } from './access';
import { slugify, toOrganization, type OrganizationChanges } from './schemas';
import { discardObjects, storeLogo, type NewLogo } from '../storage/logos';
import { flattenFolders } from '../folders/tree';
import { changeSet } from '../db/changes';

type OrgListRow = Omit<OrgWithRole, 'role'>;

export const organizationListSpec: ListSpec<OrgListRow, string> = {
  fields: {
    name: { expr: 'o.name', key: (r) => r.org.name },
    slug: { expr: 'o.slug', key: (r) => r.org.slug },
    created_at: { expr: 'o.created_at', key: (r) => r.org.createdAt },
    updated_at: { expr: 'o.updated_at', key: (r) => r.org.updatedAt },
  },
  tiebreaker: { expr: 'o.id', key: (r) => r.org.id },
  defaultOrdering: 'name',
};

const PAGES = variants();

/**
 * The organisations the caller sees (auth/access.ts, orgVisible), with their logos: the page
 * and the count (which carries the caller check) are text built once per filter set and
 * ordering, rows mapped by hand.
 */
export async function listOrganizations(scope: Scope, q: ListQuery & { archived?: boolean | undefined }, url: string) {
  const plan = planTextPage(organizationListSpec, q);
  const where = [orgVisible('o.id')];
  const params: unknown[] = [];
  if (q.archived !== undefined) {
    where.push('o.archived = ?');
    params.push(q.archived ? 1 : 0);
  }
  if (q.search) {
    // `instr` rather than LIKE: D1 rejects LIKE patterns over 50 bytes.
    where.push('(instr(lower(o.name), ?) > 0 OR instr(lower(o.slug), ?) > 0 OR instr(lower(o.short_name), ?) > 0 OR instr(lower(o.description), ?) > 0)');
    const term = q.search.toLowerCase();
    params.push(term, term, term, term);
  }
  const variant = `${q.archived !== undefined}|${Boolean(q.search)}`;
  const text = where.join(' AND ');
  const page = PAGES(`${variant}|${plan.variant}`, () =>
    withCaller(textPageSql(plan, { columns: ORG_ROW_COLUMNS, from: `organizations o ${ORG_LOGO_JOIN}`, where: text })),
  );
  const [, rows, counted] = await authed(
    scope,
    new Statement(page, [...params, ...plan.keysetParams, plan.limit, plan.offset], (found) => found.map(toOrgAndLogo)),
    countWithCaller(`SELECT count(*) FROM organizations o WHERE ${text}`, params),
  );
  const finished = plan.finish(rows, counted, url);
  return { ...finished, results: finished.results.map((r) => toOrganization(r.org, r.logo)) };
}

export async function getOrganization(scope: Scope, ref: IdRef) {
  const access = await loadOrganization(scope, ref, 'read');
  return toOrganization(access.org, access.logo);
}

export async function createOrganization(scope: Scope, input: OrganizationChanges & { name: string }, logo?: NewLogo) {
  const [caller] = await authed(scope);
  const id = newId('org');
  const values = {
    id,
    slug: input.slug ?? slugify(input.name),
    name: input.name,
    shortName: input.short_name ?? '',
    description: input.description ?? '',
    urls: input.urls ?? [],
    contacts: input.contacts ?? [],
    createdAt: scope.now,
    updatedAt: scope.now,
  } satisfies typeof organizations.$inferInsert;
  const stored = logo ? await storeLogo(scope, id, logo) : null;
  let created: OrganizationRow | undefined;
  try {
    [[created]] = await conflictOnUnique(
      scope.db.batch([
        scope.db.insert(organizations).values({ ...values, logoBlobId: stored?.id ?? null }).returning(),
        scope.db.insert(memberships).values({ organizationId: id, userId: caller.userId, role: 'admin', createdAt: scope.now }),
        ...(stored ? [scope.db.insert(blobs).values(stored)] : []),
      ]),
    );
  } catch (error) {
    if (stored) await discardObjects(scope, [stored.r2Key]);
    throw error;
  }
  return toOrganization(created!, stored);
}

export async function updateOrganization(
  scope: Scope,
  ref: string,
  changes: OrganizationChanges,
  ifMatch: string | undefined,
) {
  const access = await loadOrganization(scope, ref, 'admin');
  const { org } = access;
  await checkIfMatch(ifMatch, toOrganization(org, access.logo));
  if (org.archived && changes.archived !== false) throw problems.archived('The organization');
  const columns = { name: 'name', slug: 'slug', short_name: 'shortName', description: 'description', urls: 'urls', contacts: 'contacts', archived: 'archived' };
  const set = changeSet(changes, columns, organizations.version, scope.now);
  const updated = await conflictOnUnique(
    scope.db
      .update(organizations)
      .set(set as typeof organizations.$inferInsert)
      .where(and(eq(organizations.id, org.id), versionGuard(ifMatch, organizations.version, org.version)))
      .returning(),
  );
  if (!updated[0]) throw problems.preconditionFailed();
  return toOrganization(updated[0], access.logo);
}

export async function deleteOrganization(scope: Scope, ref: string, ifMatch: string | undefined) {
  const access = await loadOrganization(scope, ref, 'admin');
  await checkIfMatch(ifMatch, toOrganization(access.org, access.logo));
  requireWritable(access);
  const orgBlobs = scope.db.select({ key: blobs.r2Key }).from(blobs).where(eq(blobs.organizationId, access.org.id));
  const [keys] = await scope.db.batch([
    orgBlobs,
    scope.db.delete(blobs).where(eq(blobs.organizationId, access.org.id)),
    flattenFolders(scope, { ofAssets: sql`(SELECT id FROM assets WHERE organization_id = ${access.org.id})` }),
    scope.db.delete(organizations).where(eq(organizations.id, access.org.id)),
  ]);
  // Rows first, objects after: a failure here leaves objects without rows, which the sweep removes.
  scope.waitUntil(discardObjects(scope, keys.map((k) => k.key)));
}

