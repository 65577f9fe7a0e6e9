/**
 * Cadasta's lists: a bare JSON array, as the seeds show them, still paged (`page`, `page_size`)
 * with a Link header as GitHub does with arrays, so a large organisation never answers everything.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ListQuery, Page } from '../../http/list';
import { pageLinks, type ListShape } from '../../http/list-answer';
import { LINK_HEADER } from '../../http/openapi';
import { json, queryInt } from '../../http/schemas';

export const PAGE_SIZE = 100;
export const PAGE_SIZE_MAX = 500;

/** `page`, `page_size`, `search` and `ordering` (the fields allowed are the list's; another answers 400). */
export function listQuery(search: string, ordering: string[]) {
  return z.object({
    page: queryInt(1).openapi({ description: 'Page number, from 1.' }),
    page_size: queryInt(1, PAGE_SIZE_MAX).openapi({ description: `Rows per page (default ${PAGE_SIZE}, at most ${PAGE_SIZE_MAX}).` }),
    search: z.string().trim().min(1).max(100).optional().openapi({ description: search }),
    ordering: z
      .enum(ordering as [string, ...string[]])
      .optional()
      .openapi({ description: `One of ${ordering.join(', ')} (\`-\` before a field: descending).` }),
  });
}

/** The service's list query for a Cadasta one: by page number, PAGE_SIZE rows unless asked. */
export const serviceQuery = (q: { page?: number | undefined; page_size?: number | undefined; search?: string | undefined; ordering?: string | undefined }): ListQuery => ({
  page: q.page ?? 1,
  page_size: q.page_size ?? PAGE_SIZE,
  search: q.search,
  ordering: q.ordering,
});

/** The page as a bare array of `item`s, with first/prev/next/last by page number. */
export function arrayPage<Row, T>(c: Context, q: ListQuery, item: (row: Row) => T): ListShape<Row, T[]> {
  return (page: Page<Row>) => ({
    body: page.results.map(item),
    link: pageLinks(c.req.url, { page: q.page ?? 1, size: q.page_size ?? PAGE_SIZE, count: page.count }),
  });
}

/** The 200 of a list: the array and its Link. */
export const arrayOk = <T extends z.ZodTypeAny>(item: T, name: string, description: string) => ({
  ...json(z.array(item).max(PAGE_SIZE_MAX).openapi(name), description),
  headers: { Link: LINK_HEADER },
});
