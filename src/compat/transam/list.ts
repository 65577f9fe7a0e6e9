/**
 * TransAM's lists: `page` and `page_size` (default 25, at most 100), the page's rows inside JSend,
 * and the paging in headers as the api-pagination gem writes it: `Link` (first, last, next, prev
 * by `page=`), `Total` and `Per-Page`.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Page } from '../../http/list';
import { pageLinks, type ListShape } from '../../http/list-answer';
import { LINK_HEADER } from '../../http/openapi';
import { queryInt } from '../../http/schemas';

export const PAGE_SIZE = { default: 25, max: 100 };

export const transamListQuery = z.object({
  page: queryInt(1).openapi({ description: 'The page, from 1.' }),
  page_size: queryInt(1, PAGE_SIZE.max).openapi({ description: `Rows per page (default ${PAGE_SIZE.default}, at most ${PAGE_SIZE.max}).` }),
});

export type TransamListQuery = z.infer<typeof transamListQuery>;

/** The service's paging of the same page. */
export const servicePage = (q: TransamListQuery) => ({ page: q.page ?? 1, page_size: q.page_size ?? PAGE_SIZE.default });

export const LIST_HEADERS = {
  Link: LINK_HEADER,
  Total: { description: 'Rows in the list (all pages).', schema: { type: 'integer' as const, format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
  'Per-Page': { description: 'Rows per page.', schema: { type: 'integer' as const, format: 'int32', minimum: 1, maximum: PAGE_SIZE.max } },
};

/** A page as JSend data (`data` from the page's rows) with TransAM's paging headers. */
export function transamPage<Row, D>(c: Context, q: TransamListQuery, data: (rows: Row[]) => D): ListShape<Row, { status: 'success'; data: D }> {
  return (page: Page<Row>) => {
    const { page: at, page_size: size } = servicePage(q);
    return {
      body: { status: 'success', data: data(page.results) },
      link: pageLinks(c.req.url, { page: at, size, count: page.count }),
      headers: { Total: String(page.count), 'Per-Page': String(size) },
    };
  };
}
