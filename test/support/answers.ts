/** Assertions on a dialect's error answers, shared by the dialects' test files. */
import { expect } from 'vitest';
import type { Answer } from './api';

/** The answer has this status and exactly this JSON body (a seed's own error shape). */
export function expectJsonError(a: Answer, status: number, body: unknown) {
  expect(a.status, a.text).toBe(status);
  expect(a.headers.get('Content-Type')).toBe('application/json');
  expect(a.body).toEqual(body);
}

/** JSend's client error: `{"status": "fail", "data": …}` with this status (TransAM). */
export const expectJSendFail = (a: Answer, status: number, data: Record<string, string>) => expectJsonError(a, status, { status: 'fail', data });
