/** Calls the worker in-process (inside workerd) and checks every answer against its declared contract. */
import { exports } from 'cloudflare:workers';
import { expect } from 'vitest';
import { checkContract } from './contract';

export const ORIGIN = 'http://fieldbase.test';

export interface Answer<T = any> {
  res: Response;
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  json?: unknown;
  body?: BodyInit | null;
  /** Skip the response-contract check (for deliberately broken requests to unknown routes). */
  unchecked?: boolean;
}

export async function call<T = any>(path: string, opts: CallOptions = {}): Promise<Answer<T>> {
  const headers = new Headers(opts.headers);
  let body = opts.body ?? null;
  if (opts.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(opts.json);
  }
  const url = path.startsWith('http') ? path : ORIGIN + path;
  const res = await exports.default.fetch(new Request(url, { method: opts.method ?? (body ? 'POST' : 'GET'), headers, body }));
  const text = await res.text();
  const type = res.headers.get('Content-Type') ?? '';
  const parsed = type.includes('json') && text ? JSON.parse(text) : text;
  const answer: Answer<T> = { res, status: res.status, headers: res.headers, body: parsed, text };
  if (!opts.unchecked) checkContract(opts.method ?? (body ? 'POST' : 'GET'), new URL(url).pathname, answer);
  return answer;
}

/** The D1 round trips a response reports in Server-Timing. */
export function roundTrips(res: { headers: Headers }): number {
  const timing = res.headers.get('Server-Timing') ?? '';
  const match = /d1;dur=[\d.]+;desc="(\d+) round trips?"/.exec(timing);
  if (!match) throw new Error(`no d1 entry in Server-Timing: ${timing}`);
  return Number(match[1]);
}

export function expectProblem(a: Answer, status: number, slug?: string) {
  expect(a.status, a.text).toBe(status);
  expect(a.headers.get('Content-Type')).toBe('application/problem+json');
  expect(a.body.status).toBe(status);
  expect(typeof a.body.title).toBe('string');
  expect(typeof a.body.detail).toBe('string');
  expect(a.body.request_id).toBe(a.headers.get('X-Request-Id'));
  if (slug) expect(a.body.type).toBe(`https://fieldbase.dev/problems/${slug}`);
}

/** A problem body without what differs between two requests (the request id), for 404-equality checks. */
export function sameProblem(a: Answer) {
  const { request_id: _id, instance: _instance, ...rest } = a.body;
  return rest;
}
