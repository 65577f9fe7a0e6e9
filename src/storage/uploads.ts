/**
 * File bodies into R2, streamed: the SHA-256 is computed on the way through (crypto.DigestStream),
 * the size is counted against the limit, and the first bytes are checked against the declared
 * type before anything is written. A body of known length is one streamed `put`; one of unknown
 * length (chunked) goes up as an R2 multipart upload in 8 MiB parts. Either way no more than a
 * part is ever held in memory.
 *
 * The object is written before any row refers to it: callers insert the blob row after, and on
 * failure remove the object (discardObjects); the sweep removes what a crash leaves behind.
 */
import type { Scope } from '../auth/caller';
import type { BlobRow } from '../db/schema';
import { Problem, problems } from '../http/problem';
import { newId } from '../lib/ids';
import { objectKey } from './objects';
import { signedType, sniff } from './sniff';

export const PART_BYTES = 8 * 1024 * 1024;
const SNIFF_BYTES = 16;

export interface IncomingFile {
  filename: string;
  /** As the client declared it; application/octet-stream when it did not. */
  declaredType: string;
  stream: ReadableStream<Uint8Array>;
  /** Content-Length when known. */
  length: number | null;
  /** The request's name for the file (its form part): what a refusal of its content names; `file` when unnamed. */
  field?: string;
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function mediaType(value: string): string {
  return value.split(';')[0]!.trim().toLowerCase() || 'application/octet-stream';
}

/** Reads at least the first SNIFF_BYTES (for the type check); `done` when that was the whole body. */
async function readHead(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<{ head: Uint8Array; done: boolean }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < SNIFF_BYTES) {
    const next = await reader.read();
    if (next.done) return { head: concat(chunks, size), done: true };
    chunks.push(next.value);
    size += next.value.byteLength;
  }
  return { head: concat(chunks, size), done: false };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Writes every chunk to `writable`; on failure aborts it and cancels the body, so neither side hangs. */
async function feed(chunks: AsyncIterable<Uint8Array>, writable: WritableStream<Uint8Array>, reader: ReadableStreamDefaultReader<Uint8Array>) {
  const writer = writable.getWriter();
  try {
    for await (const chunk of chunks) await writer.write(chunk);
    await writer.close();
  } catch (error) {
    await writer.abort(error).catch(() => undefined);
    await reader.cancel(error).catch(() => undefined);
    throw error;
  }
}

/** What settleType holds a file to, for the document's descriptions of file parts and bodies. */
export const TYPE_CHECKED =
  'A declared PNG, JPEG, GIF, WebP or PDF must be one by its first bytes, and no declared type may contradict what they prove (400 naming the file).';

export interface AllowedTypes {
  types: string[];
  /** For the message: "a JPEG, PNG or WebP image". */
  described: string;
}

/**
 * The type to store, for every upload path (files through storeFile, logos through storeLogo;
 * multipart and raw, create and replace). A declared type that has a signature must be proved by
 * the content's first bytes: markup declared as image/png or application/pdf is refused, not
 * stored to be served under that type. Any other declared type must not contradict a type the
 * content proves. Without a declaration (application/octet-stream) the proved type, if any.
 */
export function settleType(declared: string, head: Uint8Array, opts: { allowed?: AllowedTypes; field?: string } = {}): string {
  const field = opts.field ?? 'file';
  const refuse = (message: string) => problems.invalid([{ path: field, message }]);
  const claimed = mediaType(declared);
  const actual = sniff(head);
  // Where only some types are allowed, the content must prove one of them: a declaration is not enough.
  if (opts.allowed && !(actual && opts.allowed.types.includes(actual))) {
    throw refuse(`Send ${opts.allowed.described} (this is ${actual ?? 'not one'}).`);
  }
  if (claimed === 'application/octet-stream') return actual ?? claimed;
  const signed = signedType(claimed);
  if (signed && actual !== signed) {
    throw refuse(actual ? `Declared as ${claimed} but the content is ${actual}.` : `Declared as ${claimed} but the content does not begin as ${signed} does.`);
  }
  if (!signed && actual) throw refuse(`Declared as ${claimed} but the content is ${actual}.`);
  return signed ?? claimed;
}

/** Streams the file to R2 under the organisation's prefix; answers the blob row to insert. */
export async function storeFile(
  scope: Scope,
  organizationId: string,
  kind: string,
  file: IncomingFile,
  opts: { maxBytes: number; allowedTypes?: AllowedTypes },
): Promise<BlobRow> {
  if (file.length !== null && file.length > opts.maxBytes) throw problems.tooLarge(opts.maxBytes);
  const reader = file.stream.getReader();
  const { head, done } = await readHead(reader);
  const type = settleType(file.declaredType, head, { allowed: opts.allowedTypes, ...(file.field ? { field: file.field } : {}) });
  const id = newId('blb');
  const key = objectKey(organizationId, kind, id);

  // One loop carries each chunk from the request to R2, counting and hashing it on the way: a
  // chain of streams (re-wrapped head, TransformStream, pipe) cost a few turns per 4 KiB chunk.
  const digest = new crypto.DigestStream('SHA-256');
  const hashWriter = digest.getWriter();
  let size = 0;
  // The digest takes chunks as they come; writes queue in order, so the last settles after all.
  let hashed: Promise<void> = Promise.resolve();
  const take = (chunk: Uint8Array) => {
    size += chunk.byteLength;
    if (size > opts.maxBytes) throw problems.tooLarge(opts.maxBytes);
    hashed = hashWriter.write(chunk);
    hashed.catch(() => undefined);
    return chunk;
  };
  // A body that fails while it is read is the client's connection failing, not this server.
  let bodyBroke = false;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (head.byteLength) yield take(head);
    if (done) return;
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        // A problem here is ours (the body limit counts the stream and fails it with a 413).
        if (!(error instanceof Problem)) bodyBroke = true;
        throw error;
      }
      if (next.done) return;
      yield take(next.value);
    }
  }

  const httpMetadata = { contentType: type };
  try {
    if (file.length !== null) {
      const fixed = new FixedLengthStream(file.length);
      await Promise.all([scope.files.put(key, fixed.readable, { httpMetadata }), feed(chunks(), fixed.writable, reader)]);
    } else {
      await multipartPut(scope.files, key, chunks(), httpMetadata).catch(async (error) => {
        await reader.cancel(error).catch(() => undefined);
        throw error;
      });
    }
    await hashed;
    await hashWriter.close();
  } catch (error) {
    await scope.files.delete(key).catch(() => undefined);
    if (bodyBroke) throw problems.malformed(`The body broke off after ${size} bytes.`);
    if (error instanceof TypeError && file.length !== null && size !== file.length) {
      throw problems.malformed(`The body ended after ${size} of the ${file.length} bytes announced.`);
    }
    throw error;
  }
  return { id, organizationId, r2Key: key, size, sha256: hex(await digest.digest), mimeType: type, createdAt: scope.now };
}

/** An upload of unknown length, in parts of PART_BYTES (R2 wants all parts but the last equal, at least 5 MiB). */
async function multipartPut(bucket: R2Bucket, key: string, body: AsyncIterable<Uint8Array>, httpMetadata: R2HTTPMetadata) {
  const upload = await bucket.createMultipartUpload(key, { httpMetadata });
  const parts: R2UploadedPart[] = [];
  const buffer = new Uint8Array(PART_BYTES);
  let filled = 0;
  try {
    for await (const value of body) {
      let offset = 0;
      while (offset < value.byteLength) {
        const take = Math.min(PART_BYTES - filled, value.byteLength - offset);
        buffer.set(value.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === PART_BYTES) {
          parts.push(await upload.uploadPart(parts.length + 1, buffer.slice()));
          filled = 0;
        }
      }
    }
    if (filled > 0 || parts.length === 0) parts.push(await upload.uploadPart(parts.length + 1, buffer.slice(0, filled)));
    await upload.complete(parts);
  } catch (error) {
    await upload.abort().catch(() => undefined);
    throw error;
  }
}
