/**
 * The Cadasta (seeds 002 and 004) dialect: not served yet. Its issue replaces this line with the dialect (see
 * ../README.md); the registry (../registry.ts) already lists it, so no shared file changes.
 */
import type { Dialect } from '../dialect';

export const cadasta: Dialect | undefined = undefined;
