import { describe, expect, it } from 'vitest';
import { linkHeader, offsetLinks, pageLinks } from '../src/http/list-answer';

const U = 'https://x.test/compat/portal/things/?search=a';

describe('list links', () => {
  it('by offset, as DRF writes them: previous drops offset at the start, next only while rows follow, last from the count', () => {
    expect(offsetLinks(U, { limit: 10, offset: 0, count: 25, more: true })).toEqual({
      first: 'https://x.test/compat/portal/things/?search=a&limit=10',
      prev: null,
      next: 'https://x.test/compat/portal/things/?search=a&limit=10&offset=10',
      last: 'https://x.test/compat/portal/things/?search=a&limit=10&offset=20',
    });
    const middle = offsetLinks(`${U}&limit=10&offset=15`, { limit: 10, offset: 15, count: 25, more: false });
    expect(middle.prev).toBe('https://x.test/compat/portal/things/?search=a&limit=10&offset=5');
    expect(middle.next).toBeNull();
    expect(offsetLinks(`${U}&offset=5`, { limit: 10, offset: 5, count: 25, more: true }).prev).toBe('https://x.test/compat/portal/things/?search=a&limit=10');
    expect(offsetLinks(U, { limit: 10, offset: 0, count: 0, more: false }).last).toBe('https://x.test/compat/portal/things/?search=a&limit=10');
  });

  it('by page number: pages from 1, last from the count, prev and next only where they exist', () => {
    expect(pageLinks(`${U}&page=2`, { page: 2, size: 10, count: 25 })).toEqual({
      first: 'https://x.test/compat/portal/things/?search=a&page=1&page_size=10',
      prev: 'https://x.test/compat/portal/things/?search=a&page=1&page_size=10',
      next: 'https://x.test/compat/portal/things/?search=a&page=3&page_size=10',
      last: 'https://x.test/compat/portal/things/?search=a&page=3&page_size=10',
    });
    const past = pageLinks(U, { page: 9, size: 10, count: 25 });
    expect([past.prev, past.next]).toEqual(['https://x.test/compat/portal/things/?search=a&page=3&page_size=10', null]);
    expect(pageLinks(U, { page: 1, size: 5, count: 0 }).last).toBe('https://x.test/compat/portal/things/?search=a&page=1&page_size=5');
  });

  it('writes RFC 8288 with the links that exist, in first, prev, next, last order', () => {
    expect(linkHeader({ last: 'l', first: 'f', prev: null, next: 'n' })).toBe('<f>; rel="first", <n>; rel="next", <l>; rel="last"');
  });
});
