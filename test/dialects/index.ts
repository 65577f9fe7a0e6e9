/**
 * The seed dialects the whole-API checks read, each from its own file: a dialect not built yet
 * exports `undefined`, so building one changes only its own file here.
 */
import type { DocumentSpec } from '../support/documents';
import { cadasta } from './cadasta';
import { portal } from './portal';
import { teams } from './teams';
import { transam } from './transam';

export const DIALECT_SPECS: DocumentSpec[] = [portal, transam, cadasta, teams].filter((d): d is DocumentSpec => d !== undefined);
