/**
 * An emitted document (/openapi.json, or a seed dialect's /compat/<dialect>/openapi.json, whose
 * paths sit under its server's base path) as a test oracle: its operations, which operation a URL reaches, and
 * ajv validators for the declared responses. Validating against the emitted document (not the zod
 * schemas the contract check uses) proves that what clients read is what the server sends.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { DIALECTS } from '../../src/compat/registry';
import { routingPath } from '../../src/http/router';

export type Schema = Record<string, any>;

/**
 * Every OpenAPI document the worker serves: the canonical API's, and each seed dialect's
 * (`/compat/<dialect>/openapi.json`) as they are added. Tests that derive the operations to check
 * from the documents (the change feed's coverage of write routes) read this list.
 */
export const API_DOCUMENTS = ['/openapi.json', ...DIALECTS.map((d) => `${d.base}/openapi.json`)];

export interface Operation {
  method: string;
  /** As the document writes it (relative to the document's base: a dialect's paths are the seed's). */
  path: string;
  /** The document's base path: '' for /v1, `/compat/<dialect>` for a dialect. */
  base: string;
  /** `METHOD path`, as the isolation matrix's POLICY names operations. */
  key: string;
  pattern: RegExp;
  parameters: { name: string; in: string; required?: boolean; schema: Schema }[];
  /** Media type → schema of the request body, when there is one. */
  body: Record<string, Schema>;
  bodyRequired: boolean;
  /** Whether the operation takes HTTP Basic credentials (a sign-in), not a token. */
  basic: boolean;
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

/** A query parameter that may be given more than once: its schema takes an array. */
export const repeatable = (schema: Schema): boolean =>
  schema.type === 'array' || [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].some((s: Schema) => s.type === 'array');

const DOC_ID = 'https://fieldbase.test/openapi.json';
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];
const pointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

export class ApiDocument {
  readonly operations: Operation[];
  /** Where the document's paths are served: its first server's path ('' at the root). */
  readonly base: string;
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction | null>();

  constructor(readonly doc: Schema) {
    // strict: false because OpenAPI adds keywords (example, discriminator...) that JSON Schema does not know.
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addFormat('binary', true);
    this.ajv.addFormat('password', true);
    this.ajv.addSchema(doc, DOC_ID);
    const server = (doc.servers?.[0]?.url ?? '/') as string;
    this.base = server === '/' ? '' : server.replace(/\/$/, '');
    this.operations = Object.entries(doc.paths as Record<string, Schema>).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => this.operation(m.toUpperCase(), path, item[m])),
    );
  }

  private operation(method: string, path: string, op: Schema): Operation {
    const source = routingPath(this.base + path).replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
    const body: Record<string, Schema> = {};
    for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Record<string, Schema>)) body[type] = this.resolve(media.schema ?? {});
    return {
      method,
      path,
      base: this.base,
      key: `${method} ${path}`,
      // As the server routes: with or without one trailing slash.
      pattern: new RegExp(`^${source}/?$`),
      parameters: ((op.parameters ?? []) as Schema[]).map((p) => {
        const param = this.resolve(p);
        return { ...param, schema: this.resolve(param.schema ?? {}) } as Operation['parameters'][number];
      }),
      body,
      bodyRequired: Boolean(op.requestBody?.required),
      basic: ((op.security ?? []) as Record<string, unknown>[]).some((req) => Object.keys(req).some((name) => this.doc.components?.securitySchemes?.[name]?.scheme === 'basic')),
      responses: op.responses,
    };
  }

  /** Follows a local $ref (#/components/...). */
  resolve(schema: Schema): Schema {
    let s = schema;
    while (typeof s?.$ref === 'string' && s.$ref.startsWith('#/')) {
      s = s.$ref
        .slice(2)
        .split('/')
        .reduce((node: Schema, part: string) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], this.doc);
    }
    return s;
  }

  /** The operation a request reaches; literal segments win over parameters, as in the router. */
  match(method: string, pathname: string): Operation | undefined {
    const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
    const candidates = this.operations.filter((o) => o.method === m && o.pattern.test(pathname));
    return candidates.sort((a, b) => b.path.replace(/\{[^}]+\}/g, '').length - a.path.replace(/\{[^}]+\}/g, '').length)[0];
  }

  /** A validator for the declared response body, or null when the answer declares no schema. */
  validator(op: Operation, status: string, mediaType: string): ValidateFunction | null {
    const key = `${op.key} ${status} ${mediaType}`;
    if (!this.validators.has(key)) {
      const schema = op.responses[status]?.content?.[mediaType]?.schema;
      const ref = `${DOC_ID}#/paths/${pointer(op.path)}/${op.method.toLowerCase()}/responses/${status}/content/${pointer(mediaType)}/schema`;
      this.validators.set(key, schema ? this.ajv.compile({ $ref: ref }) : null);
    }
    return this.validators.get(key)!;
  }

  /** A validator for the declared request body of a media type. */
  requestValidator(op: Operation, mediaType: string): ValidateFunction | null {
    const key = `${op.key} request ${mediaType}`;
    if (!this.validators.has(key)) {
      const ref = `${DOC_ID}#/paths/${pointer(op.path)}/${op.method.toLowerCase()}/requestBody/content/${pointer(mediaType)}/schema`;
      this.validators.set(key, op.body[mediaType] ? this.ajv.compile({ $ref: ref }) : null);
    }
    return this.validators.get(key)!;
  }

  errorsText(v: ValidateFunction): string {
    return this.ajv.errorsText(v.errors, { separator: '; ' });
  }
}
