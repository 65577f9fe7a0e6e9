/**
 * A field client's loop, as README's "Syncing a field app" describes it: sync from the beginning,
 * work offline while the office changes things, retry a create whose answer was lost (three times,
 * one Idempotency-Key), sync again. No duplicate; every change and every deletion arrives exactly
 * once; what the client holds is what the server has.
 */
import { describe, expect, it } from 'vitest';
import { call } from './support/api';
import { makeOrg, makeUser } from './support/actors';
import { addFolder, addProjectMember, createAsset, createProject, ok } from './support/domain';
import { syncFeed, type Change } from './support/feed';
import { fileForm } from './support/world';

/** What a client holds: each entity by `type id` (a project member by its project too). */
class Mirror {
  readonly held = new Map<string, Record<string, any>>();
  readonly seen = new Map<number, Change>();

  apply(changes: Change[]) {
    for (const c of changes) {
      expect(this.seen.has(c.seq), `change ${c.seq} given twice`).toBe(false);
      this.seen.set(c.seq, c);
      const key = `${c.type} ${c.type === 'project_member' ? `${c.project}/` : ''}${c.id}`;
      if (c.op === 'delete') this.held.delete(key);
      else this.held.set(key, c.entity!);
    }
  }

  ids(type: string): string[] {
    return [...this.held.entries()].filter(([k]) => k.startsWith(`${type} `)).map(([, e]) => e.id ?? e.user?.id).sort();
  }
}

describe('a field client’s loop', () => {
  it('sync, work offline, retry a create three times with one key, sync again: no duplicate, each change once, the same state as the server', async () => {
    const office = await makeUser();
    const field = await makeUser();
    const org = await makeOrg(office, [field]);
    const project = await createProject(office, org, { name: 'Region 3' });
    await addProjectMember(office, project.id, field, 'editor');
    const pump = await createAsset(office, project.id, { name: 'Pump' });
    const valve = await createAsset(office, project.id, { name: 'Valve' });
    const top = await addFolder(office, pump.id, 'Photos');
    const sub = await addFolder(office, pump.id, '2026', top.id);
    const file = await ok(call(`/v1/assets/${pump.id}/data?folder_id=${sub.id}`, { method: 'POST', headers: { ...office.auth, 'Content-Type': 'text/plain', 'X-File-Name': 'a.txt' }, body: 'a' }));

    // 1. The first sync, a page of 3 at a time.
    const mirror = new Mirror();
    const first = await syncFeed(field, org, undefined, 3);
    mirror.apply(first.changes);
    expect(mirror.ids('asset')).toEqual([pump.id, valve.id].sort());
    expect(mirror.ids('data_file')).toEqual([file.id]);

    // 2. Offline: the office renames one asset, deletes a folder tree (with its file) and another asset, adds a report.
    await ok(call(`/v1/assets/${pump.id}`, { method: 'PATCH', headers: office.auth, json: { name: 'Pump (serviced)' } }), 200);
    await ok(call(`/v1/folders/${top.id}?recursive=true`, { method: 'DELETE', headers: office.auth }), 204);
    await ok(call(`/v1/assets/${valve.id}`, { method: 'DELETE', headers: office.auth }), 204);
    const report = await ok(call('/v1/reports', { headers: office.auth, body: fileForm([['project_id', project.id], ['name', 'Inspection']]) }));

    // 3. Back online, the client sends the asset it made offline; the answer is lost twice on the way back.
    const key = crypto.randomUUID();
    const create = () => call(`/v1/projects/${project.id}/assets`, { headers: { ...field.auth, 'Idempotency-Key': key }, json: { name: 'Hydrant 7', lat: '0.18', lon: '30.08' } });
    const attempts = [await create(), await create(), await create()];
    expect(attempts.map((a) => [a.status, a.headers.get('Idempotent-Replayed')])).toEqual([
      [201, null],
      [201, 'true'],
      [201, 'true'],
    ]);
    const hydrant = attempts[2]!.body.id as string;
    expect(attempts.every((a) => a.body.id === hydrant)).toBe(true);

    // 4. Sync again.
    const second = await syncFeed(field, org, first.cursor, 3);
    mirror.apply(second.changes);
    const deletions = second.changes.filter((c) => c.op === 'delete').map((c) => `${c.type} ${c.id}`);
    expect(deletions.sort()).toEqual([`asset ${valve.id}`, `data_file ${file.id}`, `folder ${sub.id}`, `folder ${top.id}`].sort());
    expect(second.changes.filter((c) => c.id === hydrant)).toHaveLength(1);
    expect(mirror.held.get(`asset ${pump.id}`)!.name).toBe('Pump (serviced)');
    expect(mirror.ids('report')).toEqual([report.id]);

    // What the client holds is what the server lists: no duplicate, nothing stale.
    const assets = await call(`/v1/projects/${project.id}/assets`, { headers: field.auth });
    expect(assets.body.results.map((a: { id: string }) => a.id).sort()).toEqual(mirror.ids('asset'));
    expect(assets.body.results.filter((a: { name: string }) => a.name === 'Hydrant 7')).toHaveLength(1);
    for (const a of assets.body.results) expect(mirror.held.get(`asset ${a.id}`)).toEqual(a);
    expect(mirror.ids('folder')).toEqual([]);
    expect(mirror.ids('data_file')).toEqual([]);
    // Nothing more to come.
    expect((await syncFeed(field, org, second.cursor)).changes).toEqual([]);
  });
});
