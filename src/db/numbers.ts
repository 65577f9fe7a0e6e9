/**
 * Entity numbers (schema.ts, entityNumber): the integers the seed dialects show and address
 * things by.
 */

/** An entity's number in a representation. Every row has one once its INSERT is done (the default, or the trigger). */
export function numberOf(row: { number: number | null }): number {
  if (row.number === null) throw new Error('An entity row without its number.');
  return row.number;
}
