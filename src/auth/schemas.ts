import { z } from '@hono/zod-openapi';
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
  .openapi('SignIn');

export const SessionSchema = z
  .object({
    token: z.string().openapi({ description: 'Shown once. Send as `Authorization: Bearer <token>`.', example: 'fbt_…' }),
    expires_at: z.string().datetime(),
    user: UserSchema,
  })
  .openapi('Session');

export const MeSchema = UserSchema.extend({ organizations: z.array(MembershipSummarySchema) }).openapi('Me');

export const MePatchBody = z
  .object({
    name: PERSON_NAME.optional(),
    email: EMAIL.optional(),
    username: USERNAME.optional(),
    password: PASSWORD.optional().openapi({ description: 'A new password; revokes every other token.' }),
    current_password: z.string().max(256).optional().openapi({ description: 'Required to change email, username or password.' }),
  })
  .strict()
  .openapi('MePatch');

export const TokenSchema = z
  .object({
    id: z.string().openapi({ example: 'tok_01jd8z3b6q0w4y1r7k5t2m9xce' }),
    name: z.string(),
    kind: z.enum(['session', 'personal']),
    created_at: z.string().datetime(),
    last_used_at: z.string().datetime().nullable().openapi({ description: 'Kept to a 5-minute resolution.' }),
    expires_at: z.string().datetime(),
    current: z.boolean().openapi({ description: 'This is the token of the request.' }),
  })
  .openapi('Token');

export const NewTokenSchema = TokenSchema.extend({
  token: z.string().openapi({ description: 'The secret, shown this once.' }),
}).openapi('NewToken');

export const TokenCreateBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    expires_in_days: z.number().int().min(1).max(365).default(90),
  })
  .strict()
  .openapi('TokenCreate');
