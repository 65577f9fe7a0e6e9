/**
 * Fuzzing seed 001's filter document (POST /compat/teams/v1/projects/list): documents drawn with
 * fast-check from a grammar that mixes valid expressions with unknown fields and types, wrong value
 * kinds, deep nesting and long arrays. Every answer is 200 with a list of projects the caller may
 * see, or DRF's 400 whose keys are JSON paths into the document; never a 5xx.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/api';
import { makeOrg, makeUser, type Actor } from '../support/actors';

const P = '/compat/teams/v1/projects';
const SEED = 20261201;
/** The JSON body limit of the test worker (vitest.config.ts). */
const BODY_MAX = 65536;
const PATH_KEY = /^(non_field_errors|[a-z_]+(\[\d+\])?((\.[a-z_]+)(\[\d+\])?)*)$/i;

describe('the Teams filter document, fuzzed', () => {
  let caller: Actor;
  let team: number;
  let visible: Set<number>;

  beforeAll(async () => {
    caller = await makeUser();
    const org = await makeOrg(caller);
    team = (await call(`/v1/organizations/${org.id}`, { headers: caller.auth })).body.number;
    for (const name of ['Harbour', 'harbour wall', 'Bridge']) {
      expect((await call(`${P}/create`, { headers: { Authorization: `Token ${caller.token}` }, json: { name, team } })).status).toBe(201);
    }
    const all = await call(`${P}/list`, { method: 'POST', headers: { Authorization: `Token ${caller.token}` } });
    visible = new Set(all.body.map((p: any) => p.pk));
  });

  const field = fc.oneof(fc.constantFrom('pk', 'name', 'team', 'creator', 'creation_time', 'deletion_time'), fc.constantFrom('secret', 'password_hash', '', 'PK', '__proto__'), fc.string({ maxLength: 8 }));
  const scalar = fc.oneof(fc.integer(), fc.constant(1), fc.string({ maxLength: 12 }), fc.constantFrom('2026-01-01T00:00:00Z', 'Harbour', null, true), fc.double(), fc.constant([]), fc.constant({}));
  const leaf = fc.oneof(
    fc.record({ type: fc.constant('exact'), field, value: scalar, case_insensitive: fc.boolean() }, { requiredKeys: ['type', 'field'] }),
    fc.record({ type: fc.constant('contains'), field, sub_string: fc.oneof(fc.string({ maxLength: 10 }), scalar), case_insensitive: fc.oneof(fc.boolean(), scalar) }, { requiredKeys: ['type'] }),
    fc.record({ type: fc.constant('isnull'), field }),
    fc.record({ type: fc.oneof(fc.constantFrom('regex', 'not', 'AND', ''), scalar), field }),
    scalar,
  );
  const { expression } = fc.letrec<{ expression: unknown }>((tie) => ({
    expression: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.record({ type: fc.constantFrom('and', 'or'), sub_expressions: fc.oneof(fc.array(tie('expression'), { maxLength: 4 }), scalar) }),
    ),
  }));
  const order = fc.record({ field, ascending: fc.oneof(fc.boolean(), scalar), nulls_first: fc.boolean() }, { requiredKeys: ['field'] });
  const doc = fc.oneof(
    fc.record(
      { expressions: fc.oneof(fc.array(expression, { maxLength: 6 }), scalar), order_by: fc.oneof(fc.array(order, { maxLength: 8 }), scalar), include_inactive: fc.oneof(fc.boolean(), scalar), extra: scalar },
      { requiredKeys: [] },
    ),
    scalar,
  );

  /** Asks; answers the status, and checks what every answer must be. */
  async function ask(body: unknown): Promise<number> {
    const a = await call(`${P}/list`, { method: 'POST', headers: { Authorization: `Token ${caller.token}` }, json: body });
    expect(a.status, a.text.slice(0, 300)).toBeLessThan(500);
    expect(a.headers.get('Content-Type')).toBe('application/json');
    if (a.status === 200) {
      expect(Array.isArray(a.body)).toBe(true);
      for (const p of a.body) expect(visible.has(p.pk), `pk ${p.pk} is not the caller's`).toBe(true);
    } else if (a.status === 400) {
      for (const [key, messages] of Object.entries(a.body)) {
        expect(key).toMatch(PATH_KEY);
        expect(Array.isArray(messages) && messages.every((m) => typeof m === 'string')).toBe(true);
      }
    } else {
      expect(a.status).toBe(413);
    }
    return a.status;
  }

  it('drawn documents answer 200 or a 400 naming JSON paths, never a 5xx', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(doc, async (d) => {
        const status = await ask(d);
        seen.set(status, (seen.get(status) ?? 0) + 1);
      }),
      { seed: SEED, numRuns: 150 },
    );
    // Both outcomes are drawn: the grammar reaches the SQL as well as the refusals.
    expect(seen.get(200)).toBeGreaterThan(5);
    expect(seen.get(400)).toBeGreaterThan(5);
  }, 120_000);

  it('nesting at any depth, and arrays up to the body limit: 400 where a bound is passed', async () => {
    for (const depth of [1, 3, 4, 5, 50, 1500]) {
      let e: object = { type: 'exact', field: 'name', value: 'Bridge' };
      for (let i = 0; i < depth; i++) e = { type: i % 2 ? 'or' : 'and', sub_expressions: [e] };
      const status = await ask({ expressions: [e] });
      // A leaf under three groups is at the fourth level, the deepest allowed.
      expect(status, `depth ${depth}`).toBe(depth <= 3 ? 200 : 400);
    }
    for (const n of [32, 33, 1000]) expect(await ask({ expressions: Array.from({ length: n }, () => ({ type: 'isnull', field: 'creator' })) }), `${n} leaves`).toBe(n <= 32 ? 200 : 400);
    expect(await ask({ order_by: Array.from({ length: 7 }, () => ({ field: 'pk' })) })).toBe(400);
    // As many unknown fields as fit in the body.
    const huge = Array.from({ length: Math.floor(BODY_MAX / 60) }, (_, i) => ({ type: 'exact', field: `f${i}`, value: i }));
    expect(await ask({ expressions: huge })).toBe(400);
    expect(await ask({ expressions: [{ type: 'contains', field: 'name', sub_string: 'x'.repeat(201) }] })).toBe(400);
  });
});
