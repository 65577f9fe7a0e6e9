/**
 * Every seed dialect the app serves. Each is listed here once; a dialect not built yet exports
 * `undefined` from its folder, so building one changes only its own folder.
 */
import type { Dialect } from './dialect';
import { cadasta } from './cadasta';
import { portal } from './portal';
import { teams } from './teams';
import { transam } from './transam';

export const DIALECTS: Dialect[] = [portal, transam, cadasta, teams].filter((d): d is Dialect => d !== undefined);
