/** Organisation logos: the shared logo mechanics of storage/logos.ts, with the organisation's rights. */
import type { Context } from 'hono';
import type { Scope } from '../auth/caller';
import { organizations } from '../db/schema';
import { logoResponse, removeLogo, replaceLogo, type NewLogo } from '../storage/logos';
import { loadOrganization, requireWritable } from './access';
import { toOrganization } from './schemas';

export async function putLogo(scope: Scope, ref: string, logo: NewLogo) {
  const access = await loadOrganization(scope, ref, 'admin');
  requireWritable(access);
  const { row, blob } = await replaceLogo(scope, organizations, { id: access.org.id, organizationId: access.org.id, logo: access.logo }, logo);
  return toOrganization(row, blob);
}

export async function deleteLogo(scope: Scope, ref: string): Promise<void> {
  const access = await loadOrganization(scope, ref, 'admin');
  requireWritable(access);
  await removeLogo(scope, organizations, { id: access.org.id, logo: access.logo });
}

export async function organizationLogo(c: Context, scope: Scope, ref: string): Promise<Response> {
  const access = await loadOrganization(scope, ref, 'read');
  return logoResponse(c, scope, access.logo, access.org.slug);
}
