/**
 * Domain fixtures made through the API, shared by the domain test files: projects and their
 * members, assets, data-tab folders, and the usual casts of users around an organisation or a
 * private project.
 */
import { env } from 'cloudflare:workers';
import { newId } from '../../src/lib/ids';
import { call, expectProblem, sameProblem, type Answer } from './api';
import { makeOrg, makeUser, unique, type Actor } from './actors';

export type Row = { id: string; name: string; [k: string]: any };

/** The body of an answer that must have `status` (201 unless told); anything else throws. */
export async function ok(a: Promise<Answer>, status = 201): Promise<Row> {
  const r = await a;
  if (r.status !== status) throw new Error(`expected ${status}: ${r.status} ${r.text}`);
  return r.body as Row;
}

export async function createProject(actor: Actor, org: { slug: string }, fields: Record<string, unknown> = {}) {
  const a = await call(`/v1/organizations/${org.slug}/projects`, { headers: actor.auth, json: { name: unique('Project '), ...fields } });
  if (a.status !== 201) throw new Error(`project create failed: ${a.status} ${a.text}`);
  return a.body as Row;
}

export async function addProjectMember(by: Actor, projectId: string, user: Actor, role: 'manager' | 'editor' | 'viewer') {
  const a = await call(`/v1/projects/${projectId}/members`, { headers: by.auth, json: { user: user.id, role } });
  if (a.status !== 201) throw new Error(`project member add failed: ${a.status} ${a.text}`);
}

export async function createAsset(actor: Actor, projectId: string, fields: Record<string, unknown> = {}) {
  const a = await call(`/v1/projects/${projectId}/assets`, { headers: actor.auth, json: { name: unique('Asset '), ...fields } });
  if (a.status !== 201) throw new Error(`asset create failed: ${a.status} ${a.text}`);
  return a.body as Row;
}

/** A folder in an asset's data tab: at the top level, or in `parentId`. */
export async function addFolder(actor: Actor, assetId: string, name: string, parentId?: string) {
  const a = await call(`/v1/assets/${assetId}/folders`, { headers: actor.auth, json: { name, ...(parentId ? { parent_id: parentId } : {}) } });
  if (a.status !== 201) throw new Error(`folder create failed: ${a.status} ${a.text}`);
  return a.body as Row;
}

/** The R2 key of a data file's bytes (via its blob row). */
export async function dataFileKey(dataId: string): Promise<string> {
  const row = await env.DB.prepare('SELECT b.r2_key AS key FROM data_files d JOIN blobs b ON b.id = d.blob_id WHERE d.id = ?').bind(dataId).first<{ key: string }>();
  if (!row) throw new Error('no blob for data file');
  return row.key;
}

/** The 404 a caller gets for a project id that does not exist at all (at `suffix` below it). */
export async function missingProject(actor: Actor, suffix = '', method = 'GET', json?: unknown) {
  const a = await call(`/v1/projects/${newId('prj')}${suffix}`, { method, headers: actor.auth, json });
  expectProblem(a, 404, 'not-found');
  return sameProblem(a);
}

/** An org admin, `members` plain members, the organisation, and an outsider (admin of another organisation, `outsiderOrg`). */
export async function orgWithOutsider(members = 1, orgFields: Record<string, unknown> = {}) {
  const admin = await makeUser();
  const others = await Promise.all(Array.from({ length: members }, () => makeUser()));
  const org = await makeOrg(admin, others, orgFields);
  const outsider = await makeUser();
  const outsiderOrg = await makeOrg(outsider);
  return { admin, members: others, member: others[0]!, org, outsider, outsiderOrg };
}

/**
 * An organisation with its admin; a private project (the admin's) with an editor and a viewer,
 * and an asset in it (the editor's); a bystander (org member outside the project, who may not
 * see it); an outsider (admin of another organisation, `outsiderOrg`).
 */
export async function privateProjectWithAsset() {
  const admin = await makeUser();
  const editor = await makeUser();
  const viewer = await makeUser();
  const bystander = await makeUser();
  const org = await makeOrg(admin, [editor, viewer, bystander]);
  const project = await createProject(admin, org, { access: 'private' });
  await addProjectMember(admin, project.id, editor, 'editor');
  await addProjectMember(admin, project.id, viewer, 'viewer');
  const asset = await createAsset(editor, project.id);
  const outsider = await makeUser();
  const outsiderOrg = await makeOrg(outsider);
  return { admin, editor, viewer, bystander, outsider, outsiderOrg, org, project, asset };
}
