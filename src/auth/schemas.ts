import { z } from '@hono/zod-openapi';
import { exactlyOneOf, ID, TIMESTAMP } from '../http/schemas';
import { MembershipSummarySchema, EMAIL, PASSWORD, PERSON_NAME, USERNAME, UserSchema } from '../users/schemas';

export const SignInBody = z
  .object({
    login: z.string().trim().min(1).max(254).optional().openapi({ description: 'Email or username.' }),
    email: z.string().trim().min(1).max(254).optional().openapi({ description: 'In place of login (seed 003).' }),
    username: z.string().trim().min(1).max(254).optional().openapi({ description: 'In place of login.' }),
    password: z.string().min(1).max(256),
  })
  .refine((b) => [b.login, b.email, b.username].filter((v) => v !== undefined).length === 1, {
    message: 'Send exactly one of login, email or username.',
    path: ['login'],
  })
  .openapi('SignIn', exactlyOneOf('login', 'email', 'username'));

/** A token's secret: `fbt_` and 32 random bytes in base64url (auth/tokens.ts). */
const SECRET = z.string().length(47).regex(/^fbt_[A-Za-z0-9_-]{43}$/);

export const SessionSchema = z
  .object({
    token: SECRET.openapi({ description: 'Shown once. Send as `Authorization: Bearer <token>`.', example: 'fbt_EXAMPLE0EXAMPLE0EXAMPLE0EXAMPLE0EXAMPLE0EXA' }),
    expires_at: TIMESTAMP,
    user: UserSchema,
  })
  .openapi('Session');

export const MeSchema = UserSchema.extend({ organizations: z.array(MembershipSummarySchema) }).openapi('Me');

export const MePatchBody = z
  .object({
    name: PERSON_NAME.optional(),
    email: EMAIL.optional(),
    username: USERNAME.optional(),
    password: PASSWORD.optional().openapi({ description: 'A new password; revokes every other token of yours (sessions and personal tokens).' }),
    current_password: z
      .string()
      .max(256)
      .optional()
      .openapi({ description: 'Required to change email, username or password; checked whenever sent, and a wrong one counts as a failed sign-in.' }),
  })
  .strict()
  .openapi('MePatch');

export const TokenSchema = z
  .object({
    id: ID.openapi({ example: 'tok_01jd8z3b6q0w4y1r7k5t2m9xce' }),
    name: z.string().max(100),
    kind: z.enum(['session', 'personal']),
    created_at: TIMESTAMP,
    last_used_at: TIMESTAMP.nullable().openapi({ description: 'Kept to a 5-minute resolution.' }),
    expires_at: TIMESTAMP,
    current: z.boolean().openapi({ description: 'This is the token of the request.' }),
  })
  .openapi('Token');

export const NewTokenSchema = TokenSchema.extend({
  token: SECRET.openapi({ description: 'The secret, shown this once.' }),
}).openapi('NewToken');

export const TokenCreateBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    expires_in_days: z.number().int().min(1).max(365).default(90).openapi({ format: 'int32' }),
  })
  .strict()
  .openapi('TokenCreate');

export const AcceptInvitationBody = z
  .object({
    token: z
      .string()
      .trim()
      .max(100)
      .regex(/^fbi_[A-Za-z0-9_-]{43}$/, 'Not an invitation token.')
      .openapi({ description: 'The invitation returned when the account was made.', example: 'fbi_EXAMPLE0EXAMPLE0EXAMPLE0EXAMPLE0EXAMPLE0EXA' }),
    password: PASSWORD,
  })
  .strict()
  .openapi('AcceptInvitation');
