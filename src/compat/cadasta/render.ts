/**
 * Seeds 002 and 004's representations, rendered from the services' (/v1's) ones. Ids are /v1's
 * (the seeds show opaque strings); links (a logo, a resource's file) are absolute URLs of /v1's
 * downloads, which take the same token.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ID } from '../../http/schemas';
import { HCard, ORG_LIMITS } from '../../organizations/schemas';
import { PROJECT_LIMITS, type ProjectOut } from '../../projects/schemas';
import { RESOURCE_LIMITS, type ResourceOut } from '../../resources/schemas';
import type { ResourceEntityType } from '../../db/schema';
import { LOGO_TYPES } from '../../storage/sniff';
import { EMAIL_OUT, USERNAME_OUT } from '../../users/schemas';

const URL_OUT = z.string().url().max(2048);

export const CadastaProjectSchema = z
  .object({
    id: ID.openapi({ example: 'prj_01jd8z3b6q0w4y1r7k5t2m9xce' }),
    slug: z.string().max(50).openapi({ description: 'Its address in the organisation’s paths.' }),
    name: z.string().max(PROJECT_LIMITS.name),
    organization: z.string().max(ORG_LIMITS.name).openapi({ description: 'The organisation’s name.' }),
    country: z.string().max(PROJECT_LIMITS.country),
    description: z.string().max(PROJECT_LIMITS.description),
    logo: z
      .object({ mime_type: z.enum(LOGO_TYPES as [string, ...string[]]), url: URL_OUT })
      .nullable()
      .openapi({ description: 'Null without one; the URL downloads it (with your token).' }),
    archived: z.boolean(),
    urls: z.array(z.string().max(PROJECT_LIMITS.url)).max(PROJECT_LIMITS.urls),
    contacts: z.array(HCard).max(PROJECT_LIMITS.contacts),
  })
  .openapi('CadastaProject');

const absolute = (c: Context, path: string) => new URL(path, c.req.url).toString();

export const project = (c: Context, p: ProjectOut): z.infer<typeof CadastaProjectSchema> => ({
  id: p.id,
  slug: p.slug,
  name: p.name,
  organization: p.organization.name,
  country: p.country,
  description: p.description,
  logo: p.logo ? { mime_type: p.logo.mime_type, url: absolute(c, p.logo.url) } : null,
  archived: p.archived,
  urls: p.urls,
  contacts: p.contacts,
});

export const CadastaUserSchema = z
  .object({
    username: USERNAME_OUT,
    first_name: z.string().max(200),
    last_name: z.string().max(200),
    email: EMAIL_OUT,
    email_verified: z.boolean().openapi({ description: 'The platform does not verify addresses: always false.' }),
  })
  .openapi('CadastaUser');

/** A user: their name split at its first space into first and last names. */
export function user(u: { username: string; email: string; name: string }): z.infer<typeof CadastaUserSchema> {
  const name = u.name.trim();
  const at = name.indexOf(' ');
  return {
    username: u.username,
    first_name: at < 0 ? name : name.slice(0, at),
    last_name: at < 0 ? '' : name.slice(at + 1).trim(),
    email: u.email,
    email_verified: false,
  };
}

export const CadastaNewProjectSchema = CadastaProjectSchema.extend({
  users: z.array(CadastaUserSchema).max(20).openapi({ description: 'Its users: the creator, who manages it.' }),
}).openapi('CadastaNewProject');

const ENTITY_TYPE = z.enum(['organization', 'project', 'asset', 'report']);

export const CadastaResourceSchema = z
  .object({
    id: ID.openapi({ example: 'res_01jd8z3b6q0w4y1r7k5t2m9xce' }),
    name: z.string().max(RESOURCE_LIMITS.name),
    description: z.string().max(RESOURCE_LIMITS.description),
    resource: URL_OUT.openapi({ description: 'Downloads the file (with your token).' }),
    mime_type: z.string().max(255),
    archived: z.boolean(),
    attributes: z.record(z.string(), z.any()).openapi({ type: 'object', additionalProperties: true }),
    entity_type: ENTITY_TYPE.openapi({ description: 'The kind of entity it is attached to: in an entity’s list, that entity’s.' }),
  })
  .openapi('CadastaResource');

/** A resource; `entityType` is the kind of the entity a list is about, else its first attachment you may see. */
export function resource(c: Context, r: ResourceOut, entityType?: ResourceEntityType): z.infer<typeof CadastaResourceSchema> {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    resource: absolute(c, r.download_url),
    mime_type: r.mime_type,
    archived: r.archived,
    attributes: r.attributes,
    entity_type: entityType ?? r.attachments[0]?.entity_type ?? 'organization',
  };
}
