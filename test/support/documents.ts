/**
 * The documents the whole-API checks read (the isolation matrix, the fuzzer, the document tests):
 * /openapi.json and each seed dialect's. A DocumentSpec says what the checks cannot read from the
 * document itself: which world value fills each path parameter, a valid body, the error shape's
 * way of naming a field, the values a fuzzer should draw for fields that name entities.
 *
 * /v1's is here; each dialect's lives in test/dialects/<dialect>.ts, with its POLICY rows.
 */
import fc from 'fast-check';
import { newId, type IdPrefix } from '../../src/lib/ids';
import type { Hints } from './arbitraries';
import { PASSWORD } from './actors';
import type { Row } from './policy';
import { bodyFor, fill, type World } from './world';

export type CredentialForm = 'bearer' | 'token' | 'pair';

export interface RequestBody {
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
}

export interface DocumentSpec {
  /** 'v1', or the dialect's name. */
  name: string;
  /** Where the app serves the document. */
  documentUrl: string;
  /** The isolation matrix's rows, by `METHOD path` as the document writes them. */
  policy?: Record<string, Row>;
  /** The credential forms the matrix sends each actor's with: the seed's own first. */
  credentials: CredentialForm[];
  /**
   * The URL of a path of the document (its base added), with the world's values; `hide` replaces
   * that parameter with one of its kind that names nothing, `given` names values first.
   * Undefined when a parameter has no value.
   */
  fill(w: World, path: string, hide?: string, given?: Record<string, string>): string | undefined;
  /** A body that would be valid, so that a refusal cannot be a validation error. */
  bodyFor(w: World, method: string, path: string): RequestBody;
  /** The media type of its error bodies. */
  errorType: string;
  /** Whether an error body names `field` (the fuzzer's check of 400s for an unknown or repeated parameter). */
  namesField(body: unknown, field: string): boolean;
  /** What of an error body must be equal between a hidden entity's 404 and a missing one's. */
  sameError(body: unknown): unknown;
  /** The fuzzer's values for fields that name entities, by field name (the world's ids or numbers). */
  hints(w: World): Hints;
  /** The fuzzer's values for path parameters, by name, where `fill`'s would change under it (a slug a PATCH renames). */
  fixed?(w: World): Promise<Record<string, string>>;
  /** A value of a path parameter's kind that names nothing (the fuzzer's "random id"). */
  missing(name: string): string;
  /** The username and password an operation secured by HTTP Basic is sent (a sign-in's). */
  basic?(w: World): { username: string; password: string };
  /**
   * Keys the fuzzer's secret check would flag that an operation's answer carries by the seed's
   * design, by `METHOD path`, as JSON paths (`$.data.session.failed_attempts`), each with its reason.
   */
  disclosed?: Record<string, string[]>;
  /** Operations whose refusals change D1 by design (a sign-in counts failed attempts): `METHOD path`. */
  signIns: string[];
  /** The /v1 container a path's entity lives in (organizations, projects, assets...), to order deletions. */
  container(path: string): string | undefined;
}

const PREFIX: Record<string, IdPrefix> = {
  project: 'prj', asset: 'ast', folder: 'fld', data: 'dat', report: 'rpt', resource: 'res', id: 'res', sphere: 'sph', token: 'tok',
};

/** /v1's fields that name the world's entities, and its sign-in fields. */
export function worldHints(w: World): Hints {
  const entity = fc.constantFrom(w.project, w.asset, w.report, w.org.id, w.org.slug);
  return {
    // B too: a superuser's PATCH or PUT of P with it moves P there (issue 15), an outsider's must change nothing.
    organization: fc.constantFrom(w.org.slug, w.org.id, w.orgB.slug),
    organization_id: fc.constant(w.org.id),
    project: fc.constant(w.project),
    project_id: fc.constant(w.project),
    asset: fc.constant(w.asset),
    asset_id: fc.constant(w.asset),
    folder: fc.constant(w.folder),
    folder_id: fc.constant(w.folder),
    parent: fc.constant(w.folder),
    parent_id: fc.constant(w.folder),
    report_id: fc.constant(w.report),
    user: fc.constantFrom(w.actors.otherOrgAdmin.id, w.actors.otherOrgAdmin.username, w.actors.otherOrgAdmin.email),
    entity_type: fc.constantFrom('organization', 'project', 'asset', 'report'),
    entity_id: entity,
    attach: fc.constantFrom(`project:${w.project}`, `asset:${w.asset}`, `report:${w.report}`, `organization:${w.org.id}`),
    current_password: fc.constant(PASSWORD),
    password: fc.constant(PASSWORD),
    login: fc.constantFrom(w.actors.viewer.username, w.actors.viewer.email),
    urls: fc.array(fc.webUrl({ validSchemes: ['https'] }), { maxLength: 2 }),
    contacts: fc.constantFrom([], [{ type: ['h-card'], properties: { name: ['Ada Lovelace'], email: ['mailto:ada@example.test'] } }]),
    bbox: fc.constantFrom('-180,-90,180,90', '2.2,48.8,2.4,48.9', '-10,-10,10,10'),
    captured_at: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
    lat: fc.double({ min: -90, max: 90, noNaN: true }).map(String),
    lon: fc.double({ min: -180, max: 180, noNaN: true }).map(String),
    heading: fc.double({ min: 0, max: 360, noNaN: true, maxExcluded: true }).map(String),
  };
}

export const V1: DocumentSpec = {
  name: 'v1',
  documentUrl: '/openapi.json',
  credentials: ['bearer', 'pair'],
  fill: (w, path, hide, given) => fill(w, path, hide, given),
  bodyFor,
  errorType: 'application/problem+json',
  namesField: (body, field) => ((body as { errors?: { path: string }[] } | undefined)?.errors ?? []).some((e) => e.path === field),
  sameError: (body) => {
    const { request_id: _id, instance: _instance, ...rest } = body as Record<string, unknown>;
    return rest;
  },
  hints: worldHints,
  missing: (name) => (PREFIX[name] ? newId(PREFIX[name]!) : `no-such-${name}`),
  signIns: ['POST /v1/auth/sign-in'],
  container: (path) => path.split('/')[2],
};

/** A number no entity has (numbers count up from 1; this one is far past any a test makes). */
export const missingNumber = () => String(1_000_000_000 + Math.floor(Math.random() * 1_000_000));

/**
 * `base + path` with its `{name}` parameters from `values`; `hide` takes `missing(name)` instead.
 * Undefined when a parameter has no value.
 */
export function fillWith(base: string, path: string, values: Record<string, string | number | undefined>, hide: string | undefined, missing: (name: string) => string): string | undefined {
  let absent = false;
  const out = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name === hide) return missing(name);
    const v = values[name];
    if (v === undefined) absent = true;
    return String(v ?? '');
  });
  return absent ? undefined : base + out;
}

/** Hints as constants: one fixed value per field name. */
export const constants = (values: Record<string, unknown[]>): Hints =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, fc.constantFrom(...v)]));
