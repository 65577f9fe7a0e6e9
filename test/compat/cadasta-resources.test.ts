/**
 * The Cadasta dialect's resources (seed 004): every resource you may see, one by id, update and
 * delete, those of an organisation and of a project (singular `project` and `projects`), creates
 * with a resource file, the seed's 400/401/403/404 bodies (hidden answered as missing), `active`,
 * search and ordering, pages walked once, and one resource shared by several entities.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CADASTA } from '../../src/compat/cadasta/dialect';
import { call, roundTrips, type Answer } from '../support/api';
import { expectJsonError as expectError } from '../support/answers';
import { makeOrg, makeUser, unique, type Actor } from '../support/actors';

const C = '/compat/cadasta';
const ORIGIN = 'http://fieldbase.test';
const token = (a: Actor) => ({ Authorization: `Token ${a.token}` });
const KEYS = ['id', 'name', 'description', 'resource', 'mime_type', 'archived', 'attributes', 'entity_type'];

function form(fields: Record<string, string>, file: string | null = 'the contents') {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file !== null) fd.append('resource', new Blob([new TextEncoder().encode(file)], { type: 'text/plain' }), 'certificate.txt');
  return fd;
}

describe('Cadasta resources', () => {
  let admin: Actor; // admin of the organisation
  let editor: Actor; // editor of the private project
  let viewer: Actor; // viewer of the private project
  let member: Actor; // member of the organisation outside the project
  let outsider: Actor; // admin of another organisation
  let org: { slug: string };
  let projectPath: string;

  beforeAll(async () => {
    [admin, editor, viewer, member, outsider] = await Promise.all([makeUser(), makeUser(), makeUser(), makeUser(), makeUser()]);
    org = await makeOrg(admin, [editor, viewer, member]);
    await makeOrg(outsider);
    const p = await call(`${C}/organizations/${org.slug}/projects/`, { headers: token(admin), json: { name: unique('Resources '), access: 'private' } });
    expect(p.status, p.text).toBe(201);
    for (const [u, role] of [[editor, 'editor'], [viewer, 'viewer']] as const) {
      expect((await call(`/v1/projects/${p.body.id}/members`, { headers: admin.auth, json: { user: u.id, role } })).status).toBe(201);
    }
    projectPath = `${C}/organizations/${org.slug}/project/${p.body.slug}/resources`;
  });

  it('POST on a project’s resources (project and projects alike) takes the seed’s form with a resource file and answers its object; the file downloads from `resource`', async () => {
    for (const path of [projectPath, projectPath.replace('/project/', '/projects/')]) {
      const a = await call(path, { headers: token(editor), body: form({ name: 'Certificate of Ownership', description: 'Shows ownership', attributes: '{"parcel": 7}' }) });
      expect(a.status, a.text).toBe(201);
      expect(Object.keys(a.body)).toEqual(KEYS);
      expect(a.body).toMatchObject({ name: 'Certificate of Ownership', description: 'Shows ownership', mime_type: 'text/plain', archived: false, attributes: { parcel: 7 }, entity_type: 'project' });
      expect(a.body.resource).toBe(`${ORIGIN}/v1/resources/${a.body.id}/download`);
      const file = await call(a.body.resource, { headers: token(viewer) });
      expect(file.status).toBe(200);
      expect(file.text).toBe('the contents');
    }
  });

  it('POST answers the seed’s 400 naming each field, 401, its 403 text to a viewer, 404 "Project does not exist" when hidden or missing', async () => {
    expectError(await call(projectPath, { headers: token(editor), body: form({ description: 'no name' }) }), 400, { name: CADASTA.required });
    expectError(await call(projectPath, { headers: token(editor), body: form({ name: 'x' }, null) }), 400, { resource: expect.any(String) });
    expectError(await call(projectPath, { headers: token(viewer), body: form({ name: 'x' }) }), 403, { error: 'You are not allowed to create new resources.' });
    for (const [who, path] of [[member, projectPath], [outsider, projectPath], [admin, projectPath.replace('/project/', '/project/no-such-')]] as const) {
      expectError(await call(path, { headers: token(who), body: form({ name: 'x' }) }), 404, { error: 'Project does not exist' });
    }
    expectError(await call(projectPath, { body: form({ name: 'x' }) }), 401, { error: 'Please sign in.' });
  });

  it('POST /resources/ attaches to the `organization` named, or the caller’s only one; 400 naming organization when they have several', async () => {
    const named = await call(`${C}/resources/`, { headers: token(admin), body: form({ name: 'Contract', organization: org.slug }) });
    expect(named.status, named.text).toBe(201);
    expect(named.body.entity_type).toBe('organization');
    expect((await call(`/v1/resources/${named.body.id}`, { headers: admin.auth })).body.attachments).toEqual([{ entity_type: 'organization', id: expect.stringMatching(/^org_/) }]);
    const loner = await makeUser();
    const own = await makeOrg(loner);
    const only = await call(`${C}/resources/`, { headers: token(loner), body: form({ name: 'Memorandum' }) });
    expect(only.status, only.text).toBe(201);
    const listed = await call(`${C}/organizations/${own.slug}/resources/`, { headers: token(loner) });
    expect(listed.body.map((r: any) => r.id)).toEqual([only.body.id]);
    await makeOrg(loner);
    expectError(await call(`${C}/resources/`, { headers: token(loner), body: form({ name: 'Memorandum' }) }), 400, { organization: 'Name the organization to attach the resource to.' });
    // Only an admin of the organisation changes its resources.
    expectError(await call(`${C}/resources/`, { headers: token(editor), body: form({ name: 'x', organization: org.slug }) }), 403, { error: 'You are not allowed to create new resources.' });
    expectError(await call(`${C}/resources/`, { headers: token(outsider), body: form({ name: 'x', organization: org.slug }) }), 404, { error: 'Organization does not exist' });
  });

  it('a resource attached to the organisation and the project keeps one id and appears in both lists with that list’s entity_type', async () => {
    const made = await call(`${C}/organizations/${org.slug}/resources/`, { headers: token(admin), body: form({ name: unique('Shared ') }) });
    expect(made.status, made.text).toBe(201);
    const projectId = (await call(`/v1/projects?search=Resources`, { headers: admin.auth })).body.results.find((p: any) => projectPath.includes(`/${p.slug}/`)).id;
    expect((await call(`/v1/resources/${made.body.id}/attachments`, { headers: admin.auth, json: { entity_type: 'project', entity_id: projectId } })).status).toBe(200);
    const inOrg = (await call(`${C}/organizations/${org.slug}/resources/`, { headers: token(admin) })).body.find((r: any) => r.id === made.body.id);
    const inProject = (await call(projectPath, { headers: token(viewer) })).body.find((r: any) => r.id === made.body.id);
    expect(inOrg.entity_type).toBe('organization');
    expect(inProject.entity_type).toBe('project');
    expect({ ...inOrg, entity_type: 'x' }).toEqual({ ...inProject, entity_type: 'x' });
  });

  it('GET /resources/ lists what the caller may see ([] for none) with active, search, ordering, pages walked once; one round trip', async () => {
    const stranger = await makeUser();
    const empty = await call(`${C}/resources/`, { headers: token(stranger) });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual([]);
    const tag = unique('walk');
    for (const n of ['b', 'a', 'c']) expect((await call(projectPath, { headers: token(editor), body: form({ name: `${n} ${tag}`, description: 'freehold' }) })).status).toBe(201);
    const all = await call(`${C}/resources/?search=${tag}&ordering=name`, { headers: token(viewer) });
    expect(all.status, all.text).toBe(200);
    expect(roundTrips(all)).toBe(1);
    expect(all.body.map((r: any) => r.name[0])).toEqual(['a', 'b', 'c']);
    expect((await call(`${C}/resources/?search=${tag}&ordering=-name`, { headers: token(viewer) })).body.map((r: any) => r.name[0])).toEqual(['c', 'b', 'a']);
    expectError(await call(`${C}/resources/?ordering=size`, { headers: token(viewer) }), 400, { ordering: expect.any(String) });
    // Walk every page once by Link rel="next".
    const every = await call(`${C}/resources/?page_size=500&ordering=name`, { headers: token(viewer) });
    const seen: any[] = [];
    let next: string | null = `${C}/resources/?page_size=2&ordering=name`;
    while (next) {
      const page: Answer = await call(next, { headers: token(viewer) });
      expect(page.status, page.text).toBe(200);
      seen.push(...page.body);
      next = /<([^>]+)>; rel="next"/.exec(page.headers.get('Link') ?? '')?.[1] ?? null;
    }
    expect(seen).toEqual(every.body);
    // The member outside the private project sees none of its resources.
    expect((await call(`${C}/resources/?search=${tag}`, { headers: token(member) })).body).toEqual([]);
    // active=false: the archived ones.
    const first = all.body[0];
    expect((await call(`${C}/resources/${first.id}/`, { method: 'PATCH', headers: token(editor), json: { archived: true } })).status).toBe(200);
    expect((await call(`${C}/resources/?search=${tag}&active=false`, { headers: token(viewer) })).body.map((r: any) => r.id)).toEqual([first.id]);
    expect((await call(`${C}/resources/?search=${tag}&active=true`, { headers: token(viewer) })).body).toHaveLength(2);
  });

  it('GET, PATCH (form or JSON) and DELETE /resources/{id}/ with the seed’s 403 and 404 texts; hidden = missing', async () => {
    const made = await call(projectPath, { headers: token(editor), body: form({ name: 'Certificate of Tenure' }) });
    const path = `${C}/resources/${made.body.id}/`;
    const got = await call(path, { headers: token(viewer) });
    expect(got.status, got.text).toBe(200);
    expect(roundTrips(got)).toBe(1);
    expect(got.body).toEqual(made.body);
    const patched = await call(path, { method: 'PATCH', headers: token(editor), body: form({ name: 'Certificate of Individual Ownership', description: 'Individual', archived: 'true' }, null) });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Certificate of Individual Ownership', description: 'Individual', archived: true });
    const json = await call(path, { method: 'PATCH', headers: token(editor), json: { archived: false, attributes: { a: 1 } } });
    expect(json.body).toMatchObject({ archived: false, attributes: { a: 1 } });
    expectError(await call(path, { method: 'PATCH', headers: token(editor), json: { name: '' } }), 400, { name: expect.any(String) });
    expectError(await call(path, { method: 'PATCH', headers: token(viewer), json: { name: 'x' } }), 403, { error: 'You are not allowed to update the resource.' });
    expectError(await call(path, { method: 'DELETE', headers: token(viewer) }), 403, { error: 'You are not allowed to delete the resource.' });
    const gone = { error: 'Resource does not exist' };
    for (const who of [member, outsider]) {
      expectError(await call(path, { headers: token(who) }), 404, gone);
      expectError(await call(path, { method: 'PATCH', headers: token(who), json: { name: 'x' } }), 404, gone);
      expectError(await call(path, { method: 'DELETE', headers: token(who) }), 404, gone);
    }
    expectError(await call(`${C}/resources/res_01jd8z3b6q0w4y1r7k5t2m9xce/`, { headers: token(admin) }), 404, gone);
    expectError(await call(path), 401, { error: 'Please sign in.' });
    expect((await call(path, { method: 'DELETE', headers: token(editor) })).status).toBe(204);
    expectError(await call(path, { headers: token(editor) }), 404, gone);
  });

  it('lists of an organisation and a project: 404 when hidden or missing, the same body', async () => {
    for (const o of [org.slug, 'no-such-org']) expectError(await call(`${C}/organizations/${o}/resources/`, { headers: token(outsider) }), 404, { error: 'Organization does not exist' });
    for (const who of [member, outsider]) expectError(await call(projectPath, { headers: token(who) }), 404, { error: 'Project does not exist' });
    expectError(await call(projectPath, { headers: token(admin), method: 'PUT' }), 405, { error: expect.any(String) });
  });
});
