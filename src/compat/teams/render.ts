/** Seed 001's project: integer ids (entity numbers), times as RFC 3339 with Z. */
import { z } from '@hono/zod-openapi';
import { numberOf } from '../../db/numbers';
import type { FilteredProject } from '../../projects/filter';
import { iso } from '../../lib/time';
import { PROJECT_LIMITS, type ProjectOut } from '../../projects/schemas';
import { NUMBER_ID, Z_TIME, zTime } from '../values';

export const TeamsProjectSchema = z
  .object({
    pk: NUMBER_ID,
    name: z.string().max(PROJECT_LIMITS.name),
    team: NUMBER_ID.openapi({ description: 'The team (organisation) that owns the project.' }),
    creator: NUMBER_ID.nullable().openapi({ description: 'The user who created the project; null once their account is deleted.' }),
    creation_time: Z_TIME,
    deletion_time: Z_TIME.nullable().openapi({ description: 'When the project went to the trash; null while it is active.' }),
  })
  .openapi('TeamsProject');
export type TeamsProject = z.infer<typeof TeamsProjectSchema>;

/** From the project service's representation. */
export const teamsProject = (p: ProjectOut): TeamsProject => ({
  pk: p.number,
  name: p.name,
  team: p.organization.number,
  creator: p.creator?.number ?? null,
  creation_time: zTime(p.created_at),
  deletion_time: zTime(p.deleted_at),
});

/** From a row of the filtered list. */
export const teamsListed = (r: FilteredProject): TeamsProject => ({
  pk: numberOf(r),
  name: r.name,
  team: numberOf({ number: r.organization }),
  creator: r.creator,
  creation_time: iso(r.createdAt),
  deletion_time: iso(r.deletedAt),
});
