/**
 * The Portal dialect (seed 000): a Django REST framework service under /compat/portal. Token
 * authentication (`Authorization: Token <token>` from `POST /token-auth/`), DRF errors and
 * LimitOffsetPagination, integer ids (entity numbers).
 */
import { credentialForms, defineDialect } from '../dialect';
import { drfErrors } from '../drf';

const forms = credentialForms('token', '`Authorization: Token <token>`, the token from POST /token-auth/.');

export const portal = defineDialect({
  name: 'portal',
  title: 'Portal API (seed 000)',
  description:
    'Seed 000’s Portal API as its clients call it: Django REST framework conventions (`{"detail"}` and `{"field": ["message"]}` errors, `{count, next, previous, results}` lists with `limit`/`offset`), integer ids, paths with their trailing slash (the same path without it answers the same). Sign in with `POST /token-auth/` (or `GET` with HTTP Basic) and send `Authorization: Token <token>`; a token from /v1 works too, as do `Bearer` and the X-User-Email + X-User-Token pair. The same accounts, rules and data as /v1.',
  tags: [
    { name: 'Auth', description: 'Tokens for a username and password (DRF’s obtain_auth_token).' },
    { name: 'Dashboard', description: 'What you may see, counted.' },
    { name: 'Companies', description: 'Companies: the organisations you belong to.' },
    { name: 'Projects', description: 'Projects, with their users and assets.' },
    { name: 'Project users', description: 'The users of a project.' },
    { name: 'Assets', description: 'Assets, and what is kept under them.' },
    { name: 'Spheres', description: 'The photo spheres of an asset.' },
    { name: 'Reports', description: 'Reports of a project, optionally about one of its assets, with their files.' },
    { name: 'Folders and data', description: 'The folders and data files of an asset, their downloads, and the data tab.' },
  ],
  ...forms,
  securitySchemes: { ...forms.securitySchemes, basic: { type: 'http', scheme: 'basic', description: 'Username and password, for GET /token-auth/ only.' } },
  errors: drfErrors('Token'),
});
