/**
 * Answering a list: one helper for every list route, `listJson(c, page)`. By default it answers
 * the app's envelope `{count, next, previous, results}` with the page's Link header; a seed
 * dialect passes a shape that turns the same page into its own body and headers (a DRF envelope
 * with offset links, a bare array with GitHub-style links, JSend with Total and Per-Page), built
 * from the link helpers below.
 */
import type { Context, TypedResponse } from 'hono';
import type { Page } from './list';

export type Rel = 'first' | 'prev' | 'next' | 'last';
export type Links = Partial<Record<Rel, string | null>>;

/** A list as one answer: its body, its Link (a header value or named links) and headers of its own. */
export interface ListAnswer<B> {
  body: B;
  link?: string | Links | null;
  headers?: Record<string, string>;
}

export type ListShape<Row, B> = (page: Page<Row>) => ListAnswer<B>;

/** The app's envelope and the page's own Link (keyset cursors). */
export const envelope = <Row>({ link, ...body }: Page<Row>): ListAnswer<Omit<Page<Row>, 'link'>> => ({ body, link });

/** RFC 8288: `<url>; rel="first", …` from the links that exist. */
export function linkHeader(links: Links): string {
  return (['first', 'prev', 'next', 'last'] as const)
    .filter((rel) => links[rel])
    .map((rel) => `<${links[rel]}>; rel="${rel}"`)
    .join(', ');
}

export function listJson<Row, B = Omit<Page<Row>, 'link'>>(
  c: Context,
  page: Page<Row>,
  shape: ListShape<Row, B> = envelope as unknown as ListShape<Row, B>,
): Response & TypedResponse<B, 200, 'json'> {
  const { body, link, headers } = shape(page);
  const value = typeof link === 'string' || link == null ? link : linkHeader(link);
  return c.json(body as object, 200, { ...(value ? { Link: value } : {}), ...headers }) as unknown as Response & TypedResponse<B, 200, 'json'>;
}

/** The request's URL with paging parameters set (null removes one). */
export function withParams(url: string, set: Record<string, string | number | null>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(set)) {
    if (v === null) u.searchParams.delete(k);
    else u.searchParams.set(k, String(v));
  }
  return u.toString();
}

/**
 * Links by offset, as Django REST framework's LimitOffsetPagination writes them: `next` while rows
 * follow, `previous` without `offset` once it would reach the start. `more` says whether another
 * page follows (the page query fetched one row past it), `count` places `last`.
 */
export function offsetLinks(url: string, p: { limit: number; offset: number; count: number; more: boolean }, names = { limit: 'limit', offset: 'offset' }): Links {
  const at = (offset: number) => withParams(url, { [names.limit]: p.limit, [names.offset]: offset > 0 ? offset : null });
  const lastOffset = Math.max(0, Math.floor((Math.max(p.count, 1) - 1) / p.limit) * p.limit);
  return {
    first: at(0),
    prev: p.offset > 0 ? at(Math.max(0, p.offset - p.limit)) : null,
    next: p.more ? at(p.offset + p.limit) : null,
    last: at(lastOffset),
  };
}

/** Links by page number (TransAM's and Cadasta's `page`/`page_size`): pages from 1, `last` from the count. */
export function pageLinks(url: string, p: { page: number; size: number; count: number }, names = { page: 'page', size: 'page_size' }): Links {
  const last = Math.max(1, Math.ceil(p.count / p.size));
  const at = (page: number) => withParams(url, { [names.page]: page, [names.size]: p.size });
  return {
    first: at(1),
    prev: p.page > 1 ? at(Math.min(p.page - 1, last)) : null,
    next: p.page < last ? at(p.page + 1) : null,
    last: at(last),
  };
}
