import { and, eq, or, sql } from 'drizzle-orm';
import { orgVisible } from '../auth/access';
import { authed, type Scope } from '../auth/caller';
import { conflictOnUnique } from '../db/errors';
import { columnsAs, joined } from '../db/select';
import type { IdRef } from '../db/numbers';
import { blobs, memberships, organizations, type BlobRow, type OrganizationRow } from '../db/schema';
import { checkIfMatch, versionGuard } from '../http/etag';
import { paged, planPage, type ListQuery, type ListSpec } from '../http/list';
import { problems } from '../http/problem';
import { newId } from '../lib/ids';
import { contains } from '../users/service';
import { loadOrganization, requireWritable } from './access';
import { slugify, toOrganization, type OrganizationChanges } from './schemas';
import { discardObjects, storeLogo, type NewLogo } from '../storage/logos';
import { flattenFolders } from '../folders/tree';
import { changeSet } from '../db/changes';

type OrgListRow = { org: OrganizationRow; logo: { [K in keyof BlobRow]: BlobRow[K] | null } };

export const organizationListSpec: ListSpec<OrgListRow> = {
  fields: {
    name: { expr: organizations.name, key: (r) => r.org.name },
    slug: { expr: organizations.slug, key: (r) => r.org.slug },
    created_at: { expr: organizations.createdAt, key: (r) => r.org.createdAt },
    updated_at: { expr: organizations.updatedAt, key: (r) => r.org.updatedAt },
  },
  tiebreaker: { expr: organizations.id, key: (r) => r.org.id },
  defaultOrdering: 'name',
};

/** SQL: the caller sees the organisation of the current row (auth/access.ts). */
export function visibleOrganization() {
  return sql.raw(orgVisible('"organizations"."id"'));
}

export async function listOrganizations(scope: Scope, q: ListQuery & { archived?: boolean | undefined }, url: string) {
  const plan = planPage(organizationListSpec, q);
  const filters = and(
    visibleOrganization(),
    q.archived !== undefined ? eq(organizations.archived, q.archived) : undefined,
    q.search
      ? or(contains(organizations.name, q.search), contains(organizations.slug, q.search), contains(organizations.shortName, q.search), contains(organizations.description, q.search))
      : undefined,
  );
  const [, rows, counted] = await authed(
    scope,
    paged(
      scope.db
        .select({ org: columnsAs(organizations, 'org'), logo: columnsAs(blobs, 'logo') })
        .from(organizations)
        .leftJoin(blobs, eq(blobs.id, organizations.logoBlobId))
        .$dynamic(),
      plan,
      filters,
    ),
    scope.db.select({ n: sql<number>`count(*)` }).from(organizations).where(filters),
  );
  const page = plan.finish(rows, counted[0]?.n ?? 0, url);
  return { ...page, results: page.results.map((r) => toOrganization(r.org, joined(r.logo))) };
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

