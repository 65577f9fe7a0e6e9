import { z } from '@hono/zod-openapi';
import type { ProjectRow } from '../db/schema';
import type { LogoRef } from '../storage/logos';
import { numberOf } from '../db/numbers';
import { API_PATH, COUNT, ENTITY_NUMBER, ID, TIMESTAMP } from '../http/schemas';
import { JSON_LIMITS, withinJsonLimits } from '../http/json-limits';
import { iso } from '../lib/time';
import { HCard, LogoSchema, OrganizationRefSchema, SLUG } from '../organizations/schemas';
import { INVITATION_FIELD, MemberUserSchema, USERNAME_OUT, UserCreateBody } from '../users/schemas';

/** A number, or a numeric string as seed 000 and form fields send it ("52.372760"), read as a number. */
export const numberOrNumericText = () =>
  z.union([
    z.number(),
    z
      .string()
      .trim()
      .max(NUMERIC_TEXT_MAX)
      .regex(/^[-+]?\d+(\.\d+)?$/, 'A decimal number.')
      .transform(Number),
  ]);

/** A coordinate as a number or a numeric string; null clears it. */
export const coordinate = (limit: number) => numberOrNumericText().pipe(z.number().min(-limit).max(limit)).nullable();

/** The longest numeric string a coordinate or heading may be sent as (spheres' query took 32 already). */
export const NUMERIC_TEXT_MAX = 32;

export const LAT = coordinate(90).openapi({
  type: ['number', 'string', 'null'],
  maxLength: NUMERIC_TEXT_MAX,
  example: 52.37276,
  description: 'Degrees, -90 to 90.',
});
export const LON = coordinate(180).openapi({
  type: ['number', 'string', 'null'],
  maxLength: NUMERIC_TEXT_MAX,
  example: 4.893604,
  description: 'Degrees, -180 to 180.',
});

/** Field limits, shared by the bodies and the answers (which hold only what the bodies let in). */
export const PROJECT_LIMITS = {
  name: 200,
  description: 10_000,
  country: 100,
  location: 500,
  project_type: 100,
  url: 2000,
  urls: 20,
  contacts: 50,
} as const;

const URLS = z
  .array(z.string().trim().url().max(PROJECT_LIMITS.url).regex(/^[hH][tT][tT][pP][sS]?:\/\//, 'Use an http(s) URL.'))
  .max(PROJECT_LIMITS.urls);
const CONTACTS = z
  .array(HCard)
  .max(PROJECT_LIMITS.contacts)
  .superRefine(withinJsonLimits())
  .openapi({ description: `h-cards, at most ${JSON_LIMITS.fieldBytes} bytes of JSON.` });
const NAME = z.string().trim().min(1).max(PROJECT_LIMITS.name);
const TEXT = (max: number) => z.string().trim().max(max);

export const ACCESS = z
  .enum(['private', 'organization'])
  .openapi({ description: '`private`: project members and org admins; `organization`: every member of the organisation.' });

const fields = {
  name: NAME,
  slug: SLUG.optional().openapi({ description: 'Unique in the organisation; derived from the name when left out.' }),
  description: TEXT(PROJECT_LIMITS.description).optional(),
  country: TEXT(PROJECT_LIMITS.country).optional(),
  location: TEXT(PROJECT_LIMITS.location).optional(),
  lat: LAT.optional(),
  lon: LON.optional(),
  project_type: TEXT(PROJECT_LIMITS.project_type).optional(),
  urls: URLS.optional(),
  contacts: CONTACTS.optional(),
  access: ACCESS.optional(),
};

export const ProjectCreateBody = z.object(fields).strict().openapi('ProjectCreate');

/** The organisation to move a project to (move.ts); PUT leaves it where it is when left out. */
const MOVE_TO = z
  .string()
  .trim()
  .min(1)
  .max(254)
  .optional()
  .openapi({
    description:
      'Slug or id of an organisation to move the project to, with everything in it (a superuser or an admin of both organisations). Its own organisation moves nothing.',
  });

export const ProjectPatchBody = z
  .object({ ...fields, name: NAME.optional(), archived: z.boolean().optional(), organization: MOVE_TO })
  .strict()
  .openapi('ProjectPatch');

/** PUT replaces the whole entity: fields left out return to their defaults (slug, archived and the organisation are kept). */
export const ProjectPutBody = z
  .object({
    name: NAME,
    slug: fields.slug,
    description: TEXT(PROJECT_LIMITS.description).default(''),
    country: TEXT(PROJECT_LIMITS.country).default(''),
    location: TEXT(PROJECT_LIMITS.location).default(''),
    lat: LAT.default(null),
    lon: LON.default(null),
    project_type: TEXT(PROJECT_LIMITS.project_type).default(''),
    urls: URLS.default([]),
    contacts: CONTACTS.default([]),
    access: ACCESS.default('organization'),
    archived: z.boolean().optional(),
    organization: MOVE_TO,
  })
  .strict()
  .openapi('ProjectPut');

export type ProjectChanges = z.infer<typeof ProjectPatchBody>;

export const ProjectSchema = z
  .object({
    id: ID.openapi({ example: 'prj_01jd8z3b6q0w4y1r7k5t2m9xce' }),
    number: ENTITY_NUMBER,
    organization: OrganizationRefSchema,
    slug: z.string().max(50),
    name: z.string().max(PROJECT_LIMITS.name),
    description: z.string().max(PROJECT_LIMITS.description),
    country: z.string().max(PROJECT_LIMITS.country),
    location: z.string().max(PROJECT_LIMITS.location),
    lat: z.number().nullable(),
    lon: z.number().nullable(),
    project_type: z.string().max(PROJECT_LIMITS.project_type),
    urls: z.array(z.string().max(PROJECT_LIMITS.url)).max(PROJECT_LIMITS.urls),
    contacts: z.array(HCard).max(PROJECT_LIMITS.contacts),
    logo: LogoSchema.nullable(),
    access: ACCESS,
    archived: z.boolean(),
    creator: z.object({ id: ID, number: ENTITY_NUMBER, username: USERNAME_OUT }).nullable().openapi({ description: 'Null once the account is deleted.' }),
    created_at: TIMESTAMP,
    updated_at: TIMESTAMP,
    deleted_at: TIMESTAMP.nullable().openapi({ description: 'Set while the project is in the trash.' }),
  })
  .openapi('Project');
export type ProjectOut = z.infer<typeof ProjectSchema>;

export const PROJECT_ROLE = z.enum(['manager', 'editor', 'viewer']);
export type ProjectRole = z.infer<typeof PROJECT_ROLE>;

export const ProjectMemberSchema = z
  .object({ user: MemberUserSchema, role: PROJECT_ROLE, joined_at: TIMESTAMP })
  .openapi('ProjectMember');

export const NewProjectMemberSchema = ProjectMemberSchema.extend({ invitation: INVITATION_FIELD }).openapi('NewProjectMember');

export const MEMBERS_EMBEDDED = 20;

export const ProjectDetailSchema = ProjectSchema.extend({
  members: z
    .array(ProjectMemberSchema)
    .max(MEMBERS_EMBEDDED)
    .openapi({ description: `The first ${MEMBERS_EMBEDDED} members by username; the rest via links.members.` }),
  member_count: COUNT,
  links: z.object({ members: API_PATH, logo: API_PATH }).openapi('ProjectLinks'),
}).openapi('ProjectDetail');

export const ProjectMemberAddBody = z
  .object({
    user: z.string().trim().min(1).max(254).openapi({ description: 'Id, username or email of an existing account.' }),
    role: PROJECT_ROLE.default('viewer'),
  })
  .strict()
  .openapi('ProjectMemberAdd');

export const ProjectMemberRoleBody = z.object({ role: PROJECT_ROLE }).strict().openapi('ProjectMemberRole');

export const ProjectAccountBody = UserCreateBody.omit({ organization: true, is_superuser: true, role: true })
  .extend({ role: PROJECT_ROLE.default('viewer') })
  .openapi('ProjectAccountCreate');

/** The columns of a project that its representation and the writes read. */
export type ProjectFields = Pick<
  ProjectRow,
  | 'id' | 'number' | 'organizationId' | 'slug' | 'name' | 'description' | 'country' | 'location' | 'lat' | 'lon' | 'projectType'
  | 'urls' | 'contacts' | 'access' | 'archived' | 'createdAt' | 'updatedAt' | 'deletedAt' | 'version'
>;

export interface ProjectJoined {
  project: ProjectFields;
  organization: { id: string; number: number | null; slug: string; name: string };
  creator: { id: string | null; number: number | null; username: string | null };
  logo: LogoRef | null;
}

export function toProject({ project: p, organization, creator, logo }: ProjectJoined): ProjectOut {
  return {
    id: p.id,
    number: numberOf(p),
    organization: { id: organization.id, number: numberOf(organization), slug: organization.slug, name: organization.name },
    slug: p.slug,
    name: p.name,
    description: p.description,
    country: p.country,
    location: p.location,
    lat: p.lat,
    lon: p.lon,
    project_type: p.projectType,
    urls: p.urls,
    contacts: p.contacts as ProjectOut['contacts'],
    logo: logo ? { url: `/v1/projects/${p.id}/logo`, mime_type: logo.mimeType, size: logo.size, sha256: logo.sha256 } : null,
    access: p.access,
    archived: p.archived,
    creator: creator.id && creator.username ? { id: creator.id, number: numberOf(creator), username: creator.username } : null,
    created_at: iso(p.createdAt),
    updated_at: iso(p.updatedAt),
    deleted_at: iso(p.deletedAt),
  };
}
