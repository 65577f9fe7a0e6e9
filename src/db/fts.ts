/**
 * Free text to an FTS5 query that cannot fail: each word becomes a quoted prefix term, all
 * words must match. FTS5 operators and punctuation in the input are never interpreted.
 */
export function ftsQuery(text: string): string | null {
  const words = text.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return null;
  return words
    .slice(0, 10)
    .map((w) => `"${w}"*`)
    .join(' ');
}
