/** Project logos: the shared logo mechanics of storage/logos.ts, with the project's rights. */
import type { Context } from 'hono';
import type { Scope } from '../auth/caller';
import { projects } from '../db/schema';
import { logoResponse, removeLogo, replaceLogo, type NewLogo } from '../storage/logos';
import { loadProject, requireProjectWritable } from './access';
import { getProject } from './service';

export async function putProjectLogo(scope: Scope, projectId: string, logo: NewLogo) {
  const { access } = await loadProject(scope, projectId, 'manage');
  requireProjectWritable(access);
  await replaceLogo(scope, projects, { id: access.project.id, organizationId: access.project.organizationId, logo: access.logo }, logo);
  return getProject(scope, projectId);
}

export async function deleteProjectLogo(scope: Scope, projectId: string): Promise<void> {
  const { access } = await loadProject(scope, projectId, 'manage');
  requireProjectWritable(access);
  await removeLogo(scope, projects, { id: access.project.id, logo: access.logo });
}

export async function projectLogo(c: Context, scope: Scope, projectId: string): Promise<Response> {
  const { access } = await loadProject(scope, projectId, 'read');
  return logoResponse(c, scope, access.logo, access.project.slug);
}
