import { describe, expect, it } from 'vitest';
import { call, roundTrips } from './support/api';
import { makeOrg, makeUser } from './support/actors';

describe('projects smoke', () => {
  it('creates, reads, lists, searches, trashes and restores', async () => {
    const admin = await makeUser();
    const member = await makeUser();
    const org = await makeOrg(admin, [member]);
    const created = await call(`/v1/organizations/${org.slug}/projects`, {
      headers: member.auth,
      json: { name: 'Region 3 Vineyards', description: 'Kasese district tenure', lat: '52.372760', lon: 4.893604, country: 'Uganda' },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ slug: 'region-3-vineyards', lat: 52.37276, member_count: 1, creator: { id: member.id } });
    const id = created.body.id;
    const got = await call(`/v1/projects/${id}`, { headers: admin.auth });
    expect(got.status).toBe(200);
    expect(roundTrips(got)).toBe(1);
    const list = await call(`/v1/projects?search=kases`, { headers: admin.auth });
    expect(list.status, list.text).toBe(200);
    expect(list.body.results.map((p: any) => p.id)).toEqual([id]);
    expect(roundTrips(list)).toBe(1);
    const none = await call(`/v1/projects?search=${encodeURIComponent('"unbalanced AND (')}`, { headers: admin.auth });
    expect(none.status).toBe(200);
    expect((await call(`/v1/projects/${id}`, { method: 'DELETE', headers: member.auth })).status).toBe(204);
    expect((await call(`/v1/projects/${id}`, { headers: admin.auth })).status).toBe(404);
    const trash = await call(`/v1/projects?deleted=true`, { headers: admin.auth });
    expect(trash.body.results.map((p: any) => p.id)).toEqual([id]);
    expect((await call(`/v1/projects?deleted=true`, { headers: member.auth })).body.count).toBe(0);
    const restored = await call(`/v1/projects/${id}/restore`, { method: 'POST', headers: admin.auth });
    expect(restored.status, restored.text).toBe(200);
    expect((await call(`/v1/projects/${id}?permanent=true`, { method: 'DELETE', headers: admin.auth })).status).toBe(204);
    expect((await call(`/v1/projects/${id}/restore`, { method: 'POST', headers: admin.auth })).status).toBe(404);
  });
});
