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
import { problems } from '../http/problem';
import { newId } from '../lib/ids';
import { objectKey } from './objects';
import { sniff } from './sniff';

export const PART_BYTES = 8 * 1024 * 1024;
const SNIFF_BYTES = 16;

export interface IncomingFile {
  filename: string;
  /** As the client declared it; application/octet-stream when it did not. */
  declaredType: string;
  stream: ReadableStream<Uint8Array>;
  /** Content-Length when known. */
  length: number | null;
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function mediaType(value: string): string {
  return value.split(';')[0]!.trim().toLowerCase() || 'application/octet-stream';
}

/** Reads the first bytes (for the type check) and gives back a stream that still starts with them. */
async function peek(stream: ReadableStream<Uint8Array>): Promise<{ head: Uint8Array; rest: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let done = false;
  while (size < SNIFF_BYTES && !done) {
    const next = await reader.read();
    if (next.done) done = true;
    else {
      chunks.push(next.value);
      size += next.value.byteLength;
    }
  }
  const head = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    head.set(c, at);
    at += c.byteLength;
  }
  const rest = new ReadableStream<Uint8Array>({
    start(controller) {
      if (head.byteLength) controller.enqueue(head);
      if (done) controller.close();
    },
    async pull(controller) {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { head, rest };
}

/** The type to store: the declared one, checked against the content where the content proves a type. */
export function settleType(declared: string, head: Uint8Array, allowed?: string[]): string {
  const claimed = mediaType(declared);
  const actual = sniff(head);
  let type = claimed;
  if (actual && claimed !== 'application/octet-stream' && claimed !== actual) {
    throw problems.invalid([{ path: 'file', message: `Declared as ${claimed} but the content is ${actual}.` }]);
  }
  if (actual && claimed === 'application/octet-stream') type = actual;
  // Where only some types are allowed, the content must prove one of them: a declaration is not enough.
  if (allowed && !(actual && allowed.includes(actual))) {
    throw problems.invalid([{ path: 'file', message: `Send one of: ${allowed.join(', ')} (the content is ${actual ?? 'not one of them'}).` }]);
  }
  return type;
}

/** Streams the file to R2 under the organisation's prefix; answers the blob row to insert. */
export async function storeFile(
  scope: Scope,
  organizationId: string,
  kind: string,
  file: IncomingFile,
  opts: { maxBytes: number; allowedTypes?: string[] },
): Promise<BlobRow> {
  if (file.length !== null && file.length > opts.maxBytes) throw problems.tooLarge(opts.maxBytes);
  const { head, rest } = await peek(file.stream);
  const type = settleType(file.declaredType, head, opts.allowedTypes);
  const id = newId('blb');
  const key = objectKey(organizationId, kind, id);

  const digest = new crypto.DigestStream('SHA-256');
  const hashWriter = digest.getWriter();
  let size = 0;
  const counted = rest.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > opts.maxBytes) throw problems.tooLarge(opts.maxBytes);
        await hashWriter.write(chunk);
        controller.enqueue(chunk);
      },
      async flush() {
        await hashWriter.close();
      },
    }),
  );

  const httpMetadata = { contentType: type };
  try {
    if (file.length !== null) {
      const fixed = new FixedLengthStream(file.length);
      const piping = counted.pipeTo(fixed.writable);
      await Promise.all([scope.files.put(key, fixed.readable, { httpMetadata }), piping]);
    } else {
      await multipartPut(scope.files, key, counted, httpMetadata);
    }
  } catch (error) {
    await scope.files.delete(key).catch(() => undefined);
    if (error instanceof TypeError && file.length !== null && size !== file.length) {
      throw problems.malformed(`The body ended after ${size} of the ${file.length} bytes announced.`);
    }
    throw error;
  }
  return { id, organizationId, r2Key: key, size, sha256: hex(await digest.digest), mimeType: type, createdAt: scope.now };
}

/** An upload of unknown length, in parts of PART_BYTES (R2 wants all parts but the last equal, at least 5 MiB). */
async function multipartPut(bucket: R2Bucket, key: string, body: ReadableStream<Uint8Array>, httpMetadata: R2HTTPMetadata) {
  const upload = await bucket.createMultipartUpload(key, { httpMetadata });
  const parts: R2UploadedPart[] = [];
  const buffer = new Uint8Array(PART_BYTES);
  let filled = 0;
  try {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
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
