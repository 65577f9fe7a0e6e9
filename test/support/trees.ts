/**
 * Folder trees of any depth and width for the delete tests: through the API (a chain with a file at
 * the bottom, as a client makes it), or written straight into D1 (thousands of folders in a few
 * statements), with data files as an upload leaves them (R2 object, blob row, data file row); and
 * what is left of them after a delete.
 */
import { env } from 'cloudflare:workers';
import { newId } from '../../src/lib/ids';
import { call } from './api';
import type { Actor } from './actors';
import { addFolder, dataFileKey } from './domain';

export interface StoredFile {
  id: string;
  key: string;
}

export interface Tree {
  /** Top first; in a chain, each is the parent of the next. */
  folders: string[];
  files: StoredFile[];
}

/** The parents of a chain of `n` folders: each in the one before. */
export const chain = (n: number): (number | null)[] => Array.from({ length: n }, (_, i) => (i === 0 ? null : i - 1));

/**
 * A chain of `depth` folders made through the API (under `parentId`, or at the top level) and a data
 * file uploaded into the deepest one.
 */
export async function chainThroughApi(actor: Actor, assetId: string, depth: number, parentId?: string): Promise<Tree> {
  const folders: string[] = [];
  let parent = parentId;
  for (let i = 0; i < depth; i++) {
    parent = (await addFolder(actor, assetId, `Level ${i + 1}`, parent)).id;
    folders.push(parent);
  }
  const a = await call(`/v1/assets/${assetId}/data?folder_id=${parent}`, {
    method: 'POST',
    headers: { ...actor.auth, 'Content-Type': 'text/plain', 'X-File-Name': 'bottom.txt' },
    body: `at depth ${depth}`,
  });
  if (a.status !== 201) throw new Error(`upload failed: ${a.status} ${a.text}`);
  return { folders, files: [{ id: a.body.id, key: await dataFileKey(a.body.id) }] };
}

/**
 * Folders of `assetId` written straight into D1: `parents[i]` is the index of folder i's parent in
 * the same list (always before i), or null for a folder under `under` (a folder id) or at the top
 * level. Answers the new ids in order.
 */
export async function writeFolders(assetId: string, parents: (number | null)[], under: string | null = null): Promise<string[]> {
  const ids = parents.map(() => newId('fld'));
  const rows = parents.map((p, i) => {
    if (p !== null && p >= i) throw new Error(`folder ${i}: its parent must come before it`);
    return [ids[i], p === null ? under : ids[p]];
  });
  const now = Date.now();
  // One bound JSON array per statement (D1 binds at most 100 parameters); rows go in list order, parents first.
  const statements = [];
  for (let at = 0; at < rows.length; at += 2000) {
    statements.push(
      env.DB.prepare(
        `INSERT INTO folders (id, asset_id, parent_id, name, created_at, updated_at)
         SELECT json_extract(j.value, '$[0]'), ?1, json_extract(j.value, '$[1]'), 'Folder ' || (j.key + ?2), ?3, ?3 FROM json_each(?4) j ORDER BY j.key`,
      ).bind(assetId, at, now, JSON.stringify(rows.slice(at, at + 2000))),
    );
  }
  await env.DB.batch(statements);
  return ids;
}

/** A data file of `assetId` in `folderId` (or at the top level), as an upload leaves it: R2 object, blob row, data file row. */
export async function writeDataFile(organizationId: string, assetId: string, folderId: string | null): Promise<StoredFile> {
  const blobId = newId('blb');
  const id = newId('dat');
  const key = `${organizationId}/data/${blobId}`;
  const bytes = new TextEncoder().encode(`data file ${id}`);
  await env.FILES.put(key, bytes);
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare('INSERT INTO blobs (id, organization_id, r2_key, size, sha256, mime_type, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').bind(
      blobId, organizationId, key, bytes.byteLength, '0'.repeat(64), 'text/plain', now,
    ),
    env.DB.prepare(
      'INSERT INTO data_files (id, asset_id, folder_id, name, mime_type, size, sha256, blob_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).bind(id, assetId, folderId, `${id}.txt`, 'text/plain', bytes.byteLength, '0'.repeat(64), blobId, now, now),
  ]);
  return { id, key };
}

/** A tree written into D1 (see writeFolders) with a data file in each folder at the `withFiles` indexes. */
export async function writeTree(organizationId: string, assetId: string, parents: (number | null)[], withFiles: number[], under: string | null = null): Promise<Tree> {
  const folders = await writeFolders(assetId, parents, under);
  const files: StoredFile[] = [];
  for (const i of withFiles) files.push(await writeDataFile(organizationId, assetId, folders[i]!));
  return { folders, files };
}

const inJson = (column: string) => `${column} IN (SELECT value FROM json_each(?))`;

async function countIn(table: string, column: string, values: string[]): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${inJson(column)}`).bind(JSON.stringify(values)).first<{ n: number }>();
  return row?.n ?? 0;
}

/** What remains of trees: their folders, their data files, the blob rows and R2 objects of those files. */
export async function leftOf(...trees: Tree[]) {
  const folders = trees.flatMap((t) => t.folders);
  const files = trees.flatMap((t) => t.files);
  let objects = 0;
  for (const f of files) if ((await env.FILES.head(f.key)) !== null) objects += 1;
  return {
    folders: await countIn('folders', 'id', folders),
    data_files: await countIn('data_files', 'id', files.map((f) => f.id)),
    blobs: await countIn('blobs', 'r2_key', files.map((f) => f.key)),
    objects,
  };
}

/** leftOf() of trees nothing was taken from. */
export const whole = (...trees: Tree[]) => {
  const files = trees.reduce((n, t) => n + t.files.length, 0);
  return { folders: trees.reduce((n, t) => n + t.folders.length, 0), data_files: files, blobs: files, objects: files };
};

export const NOTHING = { folders: 0, data_files: 0, blobs: 0, objects: 0 };
