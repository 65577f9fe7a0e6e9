/**
 * The isolation matrix over the moves (issue 15): PATCH and PUT /v1/projects/{project} with
 * `organization`, PATCH /v1/assets/{asset} with `project_id` (another project, or null), sent by
 * every actor of test/isolation.test.ts with both credentials. These are existing operations (their
 * POLICY rows cover the plain update); a move asks for more, so its refusals are checked here with
 * bodies that move. Only refused actors are sent; each 404 must equal the 404 of a random id in the
 * place that is hidden (the path's entity, or the target named in the body), and nothing may change
 * in D1 or R2. Then the allowed ones move, once each.
 *
 * Around world.ts's organisation A and private project P: an organisation T that P's viewer, editor
 * and manager belong to as plain members and that A's plain member administers (A's admin is not
 * in it), and a private project Q of A where P's viewer is an editor and P's editor a viewer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/lib/ids';
import { call, sameProblem, type Answer } from './support/api';
import { makeOrg, unique } from './support/actors';
import { addProjectMember, createProject } from './support/domain';
import { buildWorld, send, snapshot, type World } from './support/world';

const ACTORS = ['anonymous', 'revoked', 'expired', 'otherOrgAdmin', 'removedMember', 'orgMember', 'viewer', 'editor', 'manager', 'orgAdmin', 'superuser'] as const;
type ActorName = (typeof ACTORS)[number];
/** 404: hidden entity of the path; 404t: hidden target named in the body; '-': allowed, not sent. */
type Outcome = '401' | '403' | '404' | '404t' | '-';
type Row = Record<ActorName, Outcome>;

const UNAUTHENTICATED = { anonymous: '401', revoked: '401', expired: '401' } as const;

/** P to T. Hidden P first (404), then a hidden target (404t), then rights on both (403). */
const PROJECT_MOVE: Row = {
  ...UNAUTHENTICATED,
  otherOrgAdmin: '404',
  removedMember: '404',
  orgMember: '404',
  viewer: '403',
  editor: '403',
  manager: '403',
  orgAdmin: '404t',
  superuser: '-',
};
/** P's asset to Q: write the asset, then write Q (hidden Q: 404t). */
const ASSET_MOVE: Row = {
  ...UNAUTHENTICATED,
  otherOrgAdmin: '404',
  removedMember: '404',
  orgMember: '404',
  viewer: '403',
  editor: '403',
  manager: '404t',
  orgAdmin: '-',
  superuser: '-',
};
/** P's asset out of every project: org admins only. */
const ASSET_OUT: Row = { ...ASSET_MOVE, manager: '403' };

let w: World;
let T: { id: string; slug: string };
let Q: string;

beforeAll(async () => {
  w = await buildWorld();
  const { orgMember, viewer, editor, manager, orgAdmin } = w.actors;
  T = await makeOrg(orgMember, [viewer, editor, manager]);
  Q = (await createProject(orgAdmin, w.org, { access: 'private' })).id;
  await addProjectMember(orgAdmin, Q, viewer, 'editor');
  await addProjectMember(orgAdmin, Q, editor, 'viewer');
}, 60_000);

function credentials(actor: ActorName): [string, Record<string, string>][] {
  if (actor === 'anonymous') return [['none', {}]];
  if (actor === 'revoked' || actor === 'expired') {
    const t = actor === 'revoked' ? w.revoked : w.expired;
    return [['bearer', { Authorization: `Bearer ${t}` }], ['pair', { 'X-User-Email': w.viewerEmail, 'X-User-Token': t }]];
  }
  const a = w.actors[actor];
  return [['bearer', a.auth], ['pair', a.pair]];
}

interface Case {
  what: string;
  method: string;
  row: Row;
  /** The request; `hide` puts a random id in the path ('path') or the body ('target'). */
  url: (hide?: 'path') => string;
  json: (hide?: 'target') => Record<string, unknown>;
}

const CASES = (): Case[] => [
  ...(['PATCH', 'PUT'] as const).map((method) => ({
    what: `${method} a project with organization`,
    method,
    row: PROJECT_MOVE,
    url: (hide?: 'path') => `/v1/projects/${hide ? newId('prj') : w.project}`,
    json: (hide?: 'target') => ({ name: 'probe', organization: hide ? unique('no-such-') : T.slug }),
  })),
  {
    what: 'PATCH an asset with project_id',
    method: 'PATCH',
    row: ASSET_MOVE,
    url: (hide?: 'path') => `/v1/assets/${hide ? newId('ast') : w.asset}`,
    json: (hide?: 'target') => ({ project_id: hide ? newId('prj') : Q }),
  },
  {
    what: 'PATCH an asset with project_id null',
    method: 'PATCH',
    row: ASSET_OUT,
    url: (hide?: 'path') => `/v1/assets/${hide ? newId('ast') : w.asset}`,
    json: () => ({ project_id: null }),
  },
];

const outcome = (a: Answer): string => (a.status < 400 ? 'ok' : String(a.status));

describe('the isolation matrix over the moves', () => {
  it('every refused actor gets 401, 403 or the hidden 404 (equal to a random id’s, in the path or the body), and nothing changes', async () => {
    const before = await snapshot();
    const failures: string[] = [];
    let pairs = 0;
    for (const c of CASES()) {
      for (const actor of ACTORS) {
        const expected = c.row[actor];
        if (expected === '-') continue;
        for (const [cred, headers] of credentials(actor)) {
          const where = `${c.what} as ${actor} (${cred})`;
          const a = await send(c.url(), c.method, headers, { json: c.json() });
          pairs += 1;
          if (outcome(a) !== expected.slice(0, 3)) {
            failures.push(`${where}: expected ${expected}, got ${a.status} ${a.text.slice(0, 160)}`);
            continue;
          }
          if (expected === '404' || expected === '404t') {
            const random = await send(c.url(expected === '404' ? 'path' : undefined), c.method, headers, { json: c.json(expected === '404t' ? 'target' : undefined) });
            if (random.status !== 404 || JSON.stringify(sameProblem(random)) !== JSON.stringify(sameProblem(a))) {
              failures.push(`${where}: 404 differs from a random ${expected === '404' ? 'path id' : 'target'}'s: ${a.text.slice(0, 160)} vs ${random.status} ${random.text.slice(0, 160)}`);
            }
          }
        }
      }
    }
    console.log(`isolation, moves: ${pairs} case x actor x credential pairs checked`);
    expect(failures).toEqual([]);
    expect(pairs).toBeGreaterThan(60);
    expect(await snapshot()).toEqual(before);
  }, 120_000);

  it('the allowed ones move: A’s admin the asset to Q and back out of every project, a superuser P to T', async () => {
    const { orgAdmin, superuser } = w.actors;
    const toQ = await call(`/v1/assets/${w.asset}`, { method: 'PATCH', headers: orgAdmin.auth, json: { project_id: Q } });
    expect([toQ.status, toQ.body.project?.id], toQ.text).toEqual([200, Q]);
    const back = await call(`/v1/assets/${w.asset}`, { method: 'PATCH', headers: orgAdmin.auth, json: { project_id: w.project } });
    expect([back.status, back.body.project?.id], back.text).toEqual([200, w.project]);
    const moved = await call(`/v1/projects/${w.project}`, { method: 'PATCH', headers: superuser.auth, json: { organization: T.slug } });
    expect([moved.status, moved.body.organization?.id], moved.text).toEqual([200, T.id]);
    // A's admin created P (so manages it) and joined T as a plain member: still P's manager there.
    // T's admin sees P (private: its members and the organisation's admins).
    expect((await call(`/v1/projects/${w.project}`, { method: 'PATCH', headers: orgAdmin.auth, json: { description: 'managed in T' } })).status).toBe(200);
    const members = await call(`/v1/organizations/${T.slug}/members`, { headers: w.actors.orgMember.auth });
    expect(members.body.results.find((m: { user: { id: string } }) => m.user.id === orgAdmin.id)?.role).toBe('member');
    expect((await call(`/v1/projects/${w.project}`, { headers: w.actors.orgMember.auth })).status).toBe(200);
    expect((await call(`/v1/assets/${w.asset}`, { headers: w.actors.viewer.auth })).status).toBe(200);
  }, 60_000);
});
