/** Cadasta's path parameters: organisations and projects by slug, resources by /v1's id. */
import { z } from '@hono/zod-openapi';
import { projectIdOfSlugs } from '../../projects/access';

const slug = (name: string, description: string, example: string) =>
  z.string().min(1).max(254).openapi({ param: { name, in: 'path' }, description, example });

export const orgParams = z.object({ organization_slug: slug('organization_slug', 'The organisation’s slug.', 'habitat') });

export const projectParams = orgParams.extend({ project_slug: slug('project_slug', 'The project’s slug in the organisation.', 'region-3-vineyards') });

export const resourceParams = z.object({
  resource_id: z.string().min(1).max(254).openapi({ param: { name: 'resource_id', in: 'path' }, description: 'The resource’s id.', example: 'res_01jd8z3b6q0w4y1r7k5t2m9xce' }),
});

/** The project a path names, as SQL the service finds it with inside its access check. */
export const projectOf = (p: { organization_slug: string; project_slug: string }) => projectIdOfSlugs(p.organization_slug, p.project_slug);
