import { typeid } from 'typeid-js';

/** Opaque, type-prefixed, time-ordered ids (TypeID: `org_01jd…`). */
export type IdPrefix = 'usr' | 'tok' | 'org' | 'blb' | 'del' | 'prj' | 'ast' | 'fld' | 'dat' | 'sph' | 'rpt' | 'res' | 'inv';

export function newId(prefix: IdPrefix): string {
  return typeid(prefix).toString();
}

export function looksLikeId(value: string, prefix: IdPrefix): boolean {
  return value.startsWith(`${prefix}_`) && value.length === prefix.length + 27;
}
