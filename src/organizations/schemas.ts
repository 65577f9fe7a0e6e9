import { z } from '@hono/zod-openapi';
import type { BlobRow, OrganizationRow } from '../db/schema';
import { numberOf } from '../db/numbers';
import { API_PATH, COUNT, ENTITY_NUMBER, ID, SHA256, TIMESTAMP } from '../http/schemas';
import { JSON_LIMITS, withinJsonLimits } from '../http/json-limits';
import { iso } from '../lib/time';
import { LOGO_TYPES } from '../storage/sniff';
import { INVITATION_FIELD, MemberUserSchema, UserCreateBody } from '../users/schemas';

export const SLUG = z
  .string()
  .trim()
  .toLowerCase()
  .min(2)
  .max(50)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'Use lower-case letters, digits and inner hyphens.')
  .refine((v) => !v.startsWith('org_'), 'Must not look like an id.')
  .openapi({ example: 'habitat' });

/** A microformats2 h-card, as seed 002 sends contacts. */
export const HCard = z
  .object({
    type: z
      .array(z.string().max(50))
      .min(1)
      .max(5)
      .refine((t) => t.some((v) => v === 'h-card' || v === 'hcard'), 'An h-card\'s type includes "h-card".'),
    properties: z.record(z.string().max(50), z.array(z.string().max(1000)).max(20)).refine((p) => Object.keys(p).length <= 30, 'At most 30 properties.'),
  })
  .strict()
  .openapi('HCard', { example: { type: ['h-card'], properties: { name: ['John Doe'], email: ['mailto:d.john@example.com'] } } });

/** Field limits, shared by the bodies and the answers (which hold only what the bodies let in). */
export const ORG_LIMITS = { slug: 50, name: 200, short_name: 50, description: 5000, url: 2000, urls: 20, contacts: 50 } as const;

const URLS = z.array(z.string().trim().url().max(ORG_LIMITS.url).regex(/^[hH][tT][tT][pP][sS]?:\/\//, 'Use an http(s) URL.')).max(ORG_LIMITS.urls);
const CONTACTS = z
  .array(HCard)
  .max(ORG_LIMITS.contacts)
  .superRefine(withinJsonLimits())
  .openapi({ description: `h-cards, at most ${JSON_LIMITS.fieldBytes} bytes of JSON.` });
const NAME = z.string().trim().min(1).max(ORG_LIMITS.name);
const SHORT_NAME = z.string().trim().max(ORG_LIMITS.short_name);
const DESCRIPTION = z.string().trim().max(ORG_LIMITS.description);

export const OrganizationCreateBody = z
  .object({
    name: NAME,
    slug: SLUG.optional().openapi({ description: 'Derived from the name when left out.' }),
    short_name: SHORT_NAME.optional(),
    description: DESCRIPTION.optional(),
    urls: URLS.optional(),
    contacts: CONTACTS.optional(),
  })
  .strict()
  .openapi('OrganizationCreate');

export const OrganizationPatchBody = z
  .object({
    name: NAME.optional(),
    slug: SLUG.optional(),
    short_name: SHORT_NAME.optional(),
    description: DESCRIPTION.optional(),
    urls: URLS.optional(),
    contacts: CONTACTS.optional(),
    archived: z.boolean().optional().openapi({ description: 'Archiving makes the organisation read-only until unarchived.' }),
  })
  .strict()
  .openapi('OrganizationPatch');

/** PUT replaces the whole entity: fields left out return to their defaults (slug and archived are kept). */
export const OrganizationPutBody = z
  .object({
    name: NAME,
    slug: SLUG.optional(),
    short_name: SHORT_NAME.default(''),
    description: DESCRIPTION.default(''),
    urls: URLS.default([]),
    contacts: CONTACTS.default([]),
    archived: z.boolean().optional().openapi({ description: 'Kept when left out; an archived organisation needs `false` here to change.' }),
  })
  .strict()
  .openapi('OrganizationPut');

export type OrganizationChanges = z.infer<typeof OrganizationPatchBody>;

export const LogoSchema = z
  .object({
    url: API_PATH.openapi({ example: '/v1/organizations/habitat/logo' }),
    mime_type: z.enum(LOGO_TYPES as [string, ...string[]]).openapi({ description: 'A logo is one of these, proved by its content.' }),
    size: COUNT.openapi({ description: 'Bytes.' }),
    sha256: SHA256,
  })
  .openapi('Logo');

export const OrganizationSchema = z
  .object({
    id: ID.openapi({ example: 'org_01jd8z3b6q0w4y1r7k5t2m9xce' }),
    number: ENTITY_NUMBER,
    slug: z.string().max(ORG_LIMITS.slug),
    name: z.string().max(ORG_LIMITS.name),
    short_name: z.string().max(ORG_LIMITS.short_name),
    description: z.string().max(ORG_LIMITS.description),
    urls: z.array(z.string().max(ORG_LIMITS.url)).max(ORG_LIMITS.urls),
    contacts: z.array(HCard).max(ORG_LIMITS.contacts),
    logo: LogoSchema.nullable(),
    archived: z.boolean(),
    created_at: TIMESTAMP,
    updated_at: TIMESTAMP,
  })
  .openapi('Organization');
export type OrganizationOut = z.infer<typeof OrganizationSchema>;

export function toOrganization(org: OrganizationRow, logo: BlobRow | null): OrganizationOut {
  return {
    id: org.id,
    number: numberOf(org),
    slug: org.slug,
    name: org.name,
    short_name: org.shortName,
    description: org.description,
    urls: org.urls,
    contacts: org.contacts as OrganizationOut['contacts'],
    logo: logo ? { url: `/v1/organizations/${org.slug}/logo`, mime_type: logo.mimeType, size: logo.size, sha256: logo.sha256 } : null,
    archived: org.archived,
    created_at: iso(org.createdAt),
    updated_at: iso(org.updatedAt),
  };
}

/** An organisation as other entities name it. */
export const OrganizationRefSchema = z
  .object({ id: ID, number: ENTITY_NUMBER, slug: z.string().max(ORG_LIMITS.slug), name: z.string().max(ORG_LIMITS.name) })
  .openapi('OrganizationRef');

export const ROLE = z.enum(['admin', 'member']);

export const MemberSchema = z
  .object({
    user: MemberUserSchema,
    role: ROLE,
    joined_at: TIMESTAMP,
  })
  .openapi('Member');

export const NewMemberSchema = MemberSchema.extend({ invitation: INVITATION_FIELD }).openapi('NewMember');

export const MemberAddBody = z
  .object({
    user: z.string().trim().min(1).max(254).openapi({ description: 'Id, username or email of an existing account.' }),
    role: ROLE.default('member'),
  })
  .strict()
  .openapi('MemberAdd');

export const MemberRoleBody = z.object({ role: ROLE }).strict().openapi('MemberRole');

export const MemberAccountBody = UserCreateBody.omit({ organization: true, is_superuser: true }).openapi('MemberAccountCreate');

/** Lower-case, ASCII, hyphenated; what `slug` defaults to. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/, '');
  return slug.length >= 2 ? slug : `org-${slug}${crypto.getRandomValues(new Uint8Array(3)).join('')}`.slice(0, 50);
}
