/**
 * The Teams dialect (seed 001): the projects API of a Django REST framework service under
 * /compat/teams. Projects belong to teams (organisations); integer ids (entity numbers); DRF errors.
 */
import { credentialForms, defineDialect } from '../dialect';
import { drfErrors } from '../drf';

export const teams = defineDialect({
  name: 'teams',
  title: 'Teams projects API (seed 001)',
  description:
    'Seed 001’s projects API as its clients call it: Django REST framework conventions (`{"detail"}` and `{"field": ["message"]}` errors, a JSON path such as `expressions[0].field` naming a fault inside a filter document), integer ids (`pk`, `team`, `creator`), a filter document for `POST /v1/projects/list`, soft delete, hard delete and reinstate. Send `Authorization: Token <token>` (a token from /v1’s sign-in or /compat/portal’s /token-auth/), `Bearer`, or the X-User-Email + X-User-Token pair. The same accounts, rules and data as /v1: a team is an organisation.',
  tags: [{ name: 'Projects', description: 'Projects, owned by teams (organisations).' }],
  ...credentialForms('token', '`Authorization: Token <token>`.'),
  errors: drfErrors('Token'),
});
