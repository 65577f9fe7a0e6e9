/**
 * Storage safety: D1 and R2 share no transaction, so a failure between the two writes must leave
 * nothing behind (or only what the scheduled sweep removes), and never lose what a client stored.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import worker from '../src/index';
import { newId } from '../src/lib/ids';
import { SWEEP_GRACE_MS, sweepOrphans } from '../src/storage/sweep';
import { call, expectProblem } from './support/api';
import { count, makeOrg, makeUser, type Actor } from './support/actors';

function png(tag: number): Uint8Array {
  const bytes = new Uint8Array(64);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  for (let i = 8; i < bytes.length; i++) bytes[i] = (tag * 31 + i) & 0xff;
  return bytes;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.FILES.list({ prefix, ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys.sort();
}

async function putLogo(admin: Actor, slug: string, bytes: Uint8Array) {
  return call(`/v1/organizations/${slug}/logo`, { method: 'PUT', headers: { ...admin.auth, 'Content-Type': 'image/png' }, body: bytes });
}

/** A blob row that no entity refers to, created `age` ms ago, with its object in R2. */
async function unreferencedBlob(orgId: string, age: number) {
  const id = newId('blb');
  const key = `${orgId}/logo/${id}`;
  const bytes = png(7);
  await env.FILES.put(key, bytes);
  await env.DB.prepare('INSERT INTO blobs (id, organization_id, r2_key, size, sha256, mime_type, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .bind(id, orgId, key, bytes.byteLength, await sha256(bytes), 'image/png', Date.now() - age)
    .run();
  return { id, key };
}

const LATER = () => Date.now() + SWEEP_GRACE_MS + 1000;

afterEach(async () => {
  await env.DB.exec('DROP TRIGGER IF EXISTS fail_blobs');
});

describe('a D1 failure between the R2 write and the row write', () => {
  it('leaves no logo and no object behind', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    await env.DB.prepare("CREATE TRIGGER fail_blobs BEFORE INSERT ON blobs BEGIN SELECT RAISE(ABORT, 'injected'); END;").run();

    const a = await putLogo(admin, org.slug, png(1));
    expect(a.status, a.text).toBeGreaterThanOrEqual(500);
    expectProblem(a, 500, 'internal');
    expect(a.text).not.toMatch(/injected|blobs|D1/);

    const got = await call(`/v1/organizations/${org.slug}`, { headers: admin.auth });
    expect(got.status).toBe(200);
    expect(got.body.logo).toBeNull();
    expect(await count('organizations', 'id = ? AND logo_blob_id IS NULL', org.id)).toBe(1);
    expect(await count('blobs', 'organization_id = ?', org.id)).toBe(0);
    expect(await keysUnder(`${org.id}/`)).toEqual([]);
    expectProblem(await call(`/v1/organizations/${org.slug}/logo`, { headers: admin.auth }), 404);
  });

  it('keeps the current logo when its replacement fails half way', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const first = png(2);
    const ok = await putLogo(admin, org.slug, first);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.logo.sha256).toBe(await sha256(first));
    const before = await keysUnder(`${org.id}/`);
    expect(before).toHaveLength(1);

    await env.DB.prepare("CREATE TRIGGER fail_blobs BEFORE INSERT ON blobs BEGIN SELECT RAISE(ABORT, 'injected'); END;").run();
    const failed = await putLogo(admin, org.slug, png(3));
    expectProblem(failed, 500, 'internal');
    await env.DB.exec('DROP TRIGGER fail_blobs');

    const got = await call(`/v1/organizations/${org.slug}`, { headers: admin.auth });
    expect(got.body.logo.sha256).toBe(await sha256(first));
    expect(await keysUnder(`${org.id}/`)).toEqual(before);
    const download = await call(`/v1/organizations/${org.slug}/logo`, { headers: admin.auth });
    expect(download.status).toBe(200);
    expect(download.headers.get('Content-Type')).toBe('image/png');
    expect(download.headers.get('Content-Length')).toBe(String(first.byteLength));
    const stored = await env.FILES.get(before[0]!);
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(first);

    // With the failure gone, the replacement works and the old object goes.
    const third = png(4);
    const replaced = await putLogo(admin, org.slug, third);
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.body.logo.sha256).toBe(await sha256(third));
    // The old object is deleted in the background (waitUntil): give it a moment.
    let after = await keysUnder(`${org.id}/`);
    for (let i = 0; i < 50 && after.length > 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
      after = await keysUnder(`${org.id}/`);
    }
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
  });
});

describe('sweepOrphans', () => {
  it('removes objects no row names and blob rows nothing refers to, keeps referenced logos, and reports the counts', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const logo = png(5);
    const put = await putLogo(admin, org.slug, logo);
    expect(put.status, put.text).toBe(200);
    const [logoKey] = await keysUnder(`${org.id}/`);
    expect(logoKey).toBeDefined();

    // Start from a clean bucket so that the report below counts only what this test made.
    await sweepOrphans(env, LATER());
    expect(await keysUnder(`${org.id}/`)).toEqual([logoKey]);

    const orphanKey = `${org.id}/logo/blb_x`;
    await env.FILES.put(orphanKey, png(6));
    const stale = await unreferencedBlob(org.id, SWEEP_GRACE_MS * 2);
    expect(await keysUnder(`${org.id}/`)).toEqual([logoKey!, orphanKey, stale.key].sort());

    const report = await sweepOrphans(env, LATER());
    expect(report).toMatchObject({ orphanObjects: 1, unreferencedBlobs: 1, walkFinished: true });

    expect(await env.FILES.head(orphanKey)).toBeNull();
    expect(await env.FILES.head(stale.key)).toBeNull();
    expect(await count('blobs', 'id = ?', stale.id)).toBe(0);
    // The referenced logo, its row and its bytes survive.
    expect(await keysUnder(`${org.id}/`)).toEqual([logoKey]);
    expect(await count('blobs', 'r2_key = ?', logoKey)).toBe(1);
    const download = await call(`/v1/organizations/${org.slug}/logo`, { headers: admin.auth });
    expect(download.status).toBe(200);
    const got = await call(`/v1/organizations/${org.slug}`, { headers: admin.auth });
    expect(got.body.logo.sha256).toBe(await sha256(logo));

    // A second sweep finds nothing more.
    expect(await sweepOrphans(env, LATER())).toMatchObject({ orphanObjects: 0, unreferencedBlobs: 0, walkFinished: true });
  });

  it('spares what is younger than the grace period', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const youngKey = `${org.id}/logo/blb_young`;
    await env.FILES.put(youngKey, png(8));
    const youngRow = await unreferencedBlob(org.id, 60_000);

    const report = await sweepOrphans(env, Date.now());
    expect(report).toMatchObject({ orphanObjects: 0, unreferencedBlobs: 0, walkFinished: true });
    expect(await env.FILES.head(youngKey)).not.toBeNull();
    expect(await env.FILES.head(youngRow.key)).not.toBeNull();
    expect(await count('blobs', 'id = ?', youngRow.id)).toBe(1);

    // Once old enough, both go.
    const later = await sweepOrphans(env, LATER());
    expect(later.unreferencedBlobs).toBeGreaterThanOrEqual(1);
    expect(later.orphanObjects).toBeGreaterThanOrEqual(1);
    expect(await env.FILES.head(youngKey)).toBeNull();
    expect(await env.FILES.head(youngRow.key)).toBeNull();
    expect(await count('blobs', 'id = ?', youngRow.id)).toBe(0);
  });
});

describe('the walk over the bucket', () => {
  it('does a bounded part each run and resumes where the last run stopped, until the whole bucket is walked', async () => {
    const admin = await makeUser();
    const org = await makeOrg(admin);
    await sweepOrphans(env, LATER()); // a finished walk: the next starts at the bucket's beginning
    const total = (await env.FILES.list({ limit: 1000 })).objects.length;
    const orphans = Array.from({ length: 7 }, (_, i) => `${org.id}/data/blb_walk${i}`);
    for (const key of orphans) await env.FILES.put(key, png(i(key)));

    const runs = [];
    for (let n = 0; n < 50; n++) {
      const report = await sweepOrphans(env, LATER(), { pageSize: 2, maxPages: 2 });
      runs.push(report);
      expect(report.listedObjects, 'at most two pages of two keys a run').toBeLessThanOrEqual(4);
      if (report.walkFinished) break;
    }
    expect(runs.at(-1)!.walkFinished).toBe(true);
    // Every object was listed once over the runs, and every orphan went; nothing else did.
    expect(runs.reduce((n, r) => n + r.listedObjects, 0)).toBe(total + orphans.length);
    expect(runs.reduce((n, r) => n + r.orphanObjects, 0)).toBe(orphans.length);
    expect(runs.length).toBe(Math.ceil((total + orphans.length) / 4));
    for (const key of orphans) expect(await env.FILES.head(key), key).toBeNull();
    expect((await env.FILES.list({ limit: 1000 })).objects.length).toBe(total);
    // The finished walk left no cursor: the next run starts from the beginning again.
    const state = await env.DB.prepare("SELECT cursor FROM sweep_state WHERE name = 'r2-orphans'").first<{ cursor: string | null }>();
    expect(state?.cursor).toBeNull();
  });

  it('starts the walk over when R2 no longer takes the cursor it kept, rather than failing on it every run', async () => {
    await env.DB.prepare("INSERT INTO sweep_state (name, cursor, updated_at) VALUES ('r2-orphans', 'not-a-cursor', 0) ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor").run();
    // The local R2 does not refuse a cursor it cannot use; Cloudflare's may. Either way the run
    // neither stalls nor keeps the cursor, and the next one walks everything.
    await sweepOrphans(env, LATER()).catch(() => undefined);
    const state = await env.DB.prepare("SELECT cursor FROM sweep_state WHERE name = 'r2-orphans'").first<{ cursor: string | null }>();
    expect(state?.cursor).toBeNull();
    const total = (await env.FILES.list({ limit: 1000 })).objects.length;
    expect(total).toBeGreaterThan(0);
    expect(await sweepOrphans(env, LATER())).toMatchObject({ walkFinished: true, listedObjects: total });
  });
});

const i = (key: string) => Number(key.slice(-1)) + 10;

describe('the scheduled handler', () => {
  it('exists and runs the sweep', async () => {
    expect(typeof worker.scheduled).toBe('function');
    const admin = await makeUser();
    const org = await makeOrg(admin);
    const stale = await unreferencedBlob(org.id, SWEEP_GRACE_MS * 2);
    const young = await unreferencedBlob(org.id, 1000);
    const youngOrphan = `${org.id}/logo/blb_fresh`;
    await env.FILES.put(youngOrphan, png(9));

    const controller = createScheduledController({ scheduledTime: new Date(), cron: '17 * * * *' });
    const ctx = createExecutionContext();
    await worker.scheduled(controller, env, ctx);
    await waitOnExecutionContext(ctx);

    expect(await count('blobs', 'id = ?', stale.id)).toBe(0);
    expect(await env.FILES.head(stale.key)).toBeNull();
    // Within the grace period: untouched.
    expect(await count('blobs', 'id = ?', young.id)).toBe(1);
    expect(await env.FILES.head(young.key)).not.toBeNull();
    expect(await env.FILES.head(youngOrphan)).not.toBeNull();
  });
});
