/** The teams dialect in the whole-API checks: not served yet (its issue replaces this line; see src/compat/README.md). */
import type { DocumentSpec } from '../support/documents';

export const teams: DocumentSpec | undefined = undefined;
