import { z } from '@hono/zod-openapi';
import { users, type UserRow } from '../db/schema';
import { numberOf } from '../db/numbers';
import { ENTITY_NUMBER, ID, TIMESTAMP } from '../http/schemas';
import { iso } from '../lib/time';

export const USERNAME = z
  .string()
  .trim()
  .toLowerCase()
  .min(2)
  .max(40)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'Use letters, digits, ".", "_" and "-", starting with a letter or digit.')
  .refine((v) => !/^(usr|tok|org)_/.test(v), 'Must not look like an id.')
  .openapi({ example: 'kieran' });
export const EMAIL = z.string().trim().toLowerCase().max(254).email().openapi({ example: 'kieran@example.com' });
export const PASSWORD = z
  .string()
  .min(10, 'At least 10 characters.')
  .max(256)
  .openapi({ format: 'password', example: 'correct horse battery' });
export const PERSON_NAME = z.string().trim().max(200);

/** Username, email and name in answers, within the limits above. */
export const USERNAME_OUT = z.string().max(40);
export const EMAIL_OUT = z.string().max(254);
const NAME_OUT = z.string().max(200);

export const UserSchema = z
  .object({
    id: ID.openapi({ example: 'usr_01jd8z3b6q0w4y1r7k5t2m9xce' }),
    number: ENTITY_NUMBER,
    username: USERNAME_OUT,
    email: EMAIL_OUT,
    name: NAME_OUT,
    is_active: z.boolean(),
    is_superuser: z.boolean(),
    date_joined: TIMESTAMP,
    last_login: TIMESTAMP.nullable(),
  })
  .openapi('User');
export type UserOut = z.infer<typeof UserSchema>;

export function toUser(row: Pick<UserRow, 'id' | 'number' | 'username' | 'email' | 'name' | 'isActive' | 'isSuperuser' | 'dateJoined' | 'lastLogin'>): UserOut {
  return {
    id: row.id,
    number: numberOf(row),
    username: row.username,
    email: row.email,
    name: row.name,
    is_active: row.isActive,
    is_superuser: row.isSuperuser,
    date_joined: iso(row.dateJoined),
    last_login: iso(row.lastLogin),
  };
}

/** A user as member lists show them (the fields of seed 000's project users). */
export const MemberUserSchema = z
  .object({
    id: ID,
    number: ENTITY_NUMBER,
    username: USERNAME_OUT,
    email: EMAIL_OUT,
    name: NAME_OUT,
    last_login: TIMESTAMP.nullable(),
    date_joined: TIMESTAMP,
  })
  .openapi('MemberUser');

export const memberUserColumns = {
  userId: users.id,
  number: users.number,
  username: users.username,
  email: users.email,
  name: users.name,
  lastLogin: users.lastLogin,
  dateJoined: users.dateJoined,
};

/** A row of memberUserColumns. */
export interface MemberUserRow {
  userId: string;
  number: number | null;
  username: string;
  email: string;
  name: string;
  lastLogin: number | null;
  dateJoined: number;
}

export function toMemberUser(r: MemberUserRow) {
  return { id: r.userId, number: numberOf(r), username: r.username, email: r.email, name: r.name, last_login: iso(r.lastLogin), date_joined: iso(r.dateJoined) };
}

export const MembershipSummarySchema = z
  .object({
    id: ID,
    number: ENTITY_NUMBER,
    slug: z.string().max(50),
    name: z.string().max(200),
    short_name: z.string().max(50),
    role: z.enum(['admin', 'member']),
  })
  .openapi('OrganizationMembership');

export const UserProfileSchema = UserSchema.extend({
  organizations: z.array(MembershipSummarySchema).openapi({ description: 'The organisations of this user that you may see.' }),
}).openapi('UserProfile');

export const InvitationSchema = z
  .object({
    token: z
      .string()
      .length(47)
      .regex(/^fbi_[A-Za-z0-9_-]{43}$/)
      .openapi({
        description: 'Shown once: give it to the person, who sets a password with POST /v1/auth/accept-invitation. Single use.',
        example: 'fbi_EXAMPLE0EXAMPLE0EXAMPLE0EXAMPLE0EXAMPLE0EXA',
      }),
    expires_at: TIMESTAMP,
  })
  .openapi('Invitation');
export type Invitation = z.infer<typeof InvitationSchema>;

export const INVITATION_FIELD = InvitationSchema.optional().openapi({ description: 'Only for an account made without a password: its way in.' });

/** Adds the invitation of an account made without a password to an answer about it. */
export function withInvitation<T extends object>(body: T, invitation: Invitation | undefined): T & { invitation?: Invitation } {
  return invitation ? { ...body, invitation } : body;
}

/** Answers that carry an invitation secret must not be stored by caches. */
export const invitationHeaders = (invitation: Invitation | undefined): Record<string, string> => (invitation ? { 'Cache-Control': 'no-store' } : {});

export const NewUserSchema = UserProfileSchema.extend({ invitation: INVITATION_FIELD }).openapi('NewUser');

export const UserCreateBody = z
  .object({
    username: USERNAME,
    email: EMAIL,
    name: PERSON_NAME.optional(),
    password: PASSWORD.optional().openapi({ description: 'Without one, the answer carries an invitation with which the person sets it.' }),
    organization: z.string().trim().min(1).max(254).optional().openapi({ description: 'Slug or id; required unless you are a superuser.' }),
    role: z.enum(['admin', 'member']).default('member'),
    is_superuser: z.boolean().optional(),
  })
  .strict()
  .openapi('UserCreate');

export const UserPatchBody = z
  .object({
    username: USERNAME.optional(),
    email: EMAIL.optional(),
    name: PERSON_NAME.optional(),
    password: PASSWORD.optional(),
    is_active: z.boolean().optional(),
    is_superuser: z.boolean().optional(),
  })
  .strict()
  .openapi('UserPatch');
