/**
 * Route declarations: `publicRoute` and `authedRoute` wrap createRoute so that every
 * authenticated operation carries the credential middleware, the security requirement and its
 * 401 in the document, the same way.
 */
import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import { requireCredential } from '../auth/credentials';
import { errorResponses } from './problem';

export const SECURITY_SCHEMES = {
  bearer: { type: 'http', scheme: 'bearer', description: '`Authorization: Bearer <token>`' },
  token: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: '`Authorization: Token <token>` (the Cadasta seeds).',
  },
  userEmail: { type: 'apiKey', in: 'header', name: 'X-User-Email', description: 'With X-User-Token (TransAM seed).' },
  userToken: { type: 'apiKey', in: 'header', name: 'X-User-Token', description: 'With X-User-Email (TransAM seed).' },
} as const;

export const SECURITY = [{ bearer: [] }, { token: [] }, { userEmail: [], userToken: [] }];

type Declared = RouteConfig & { operationId: string; summary: string };

/** Spectral wants a description on every operation: the summary stands in where none is written. */
const described = <R extends Declared>(config: R): R => ({ ...config, description: config.description ?? config.summary });

export function publicRoute<const R extends Declared>(config: R) {
  return createRoute({ ...described(config), security: [], responses: { ...errorResponses(), ...config.responses } } as R);
}

export function authedRoute<const R extends Declared>(config: R) {
  return createRoute({
    ...described(config),
    security: SECURITY,
    middleware: [requireCredential],
    responses: { ...errorResponses(401), ...config.responses },
  } as R);
}

export const IF_MATCH = {
  name: 'If-Match',
  in: 'header' as const,
  required: false,
  description: 'The ETag of the copy being changed; 412 when it is no longer current.',
  schema: { type: 'string' as const },
};

export const ETAG_HEADER = {
  ETag: { description: 'Strong validator of this representation.', schema: { type: 'string' as const } },
};
