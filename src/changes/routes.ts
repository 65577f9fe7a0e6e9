import { z } from '@hono/zod-openapi';
import { scopeOf } from '../auth/caller';
import { LIST_HEADERS, listEnvelope, listQuerySchema } from '../http/list';
import { authedRoute } from '../http/openapi';
import { errorResponses } from '../http/problem';
import { createRouter } from '../http/router';
import { json, pathParam, queryInt } from '../http/schemas';
import { ChangeFeedSchema, ChangeSchema, FEED_LIMIT } from './schemas';
import { activitySpec, readActivity, readFeed, type ActivitySubject } from './service';

export const changeRoutes = createRouter();

const FEED_DESCRIPTION = `Every create, update and delete of the organisation's entities that you may see (the organisation, its members, projects, project members, assets, folders, data files, spheres, reports, resources and attachments), in the order they were made. A deletion of something that holds others (a purged project, a deleted asset or folder) comes with a deletion of each of them.

Start without a cursor: the feed then gives every entity you may see as it is now, changes kept for the retention period included; follow \`next_cursor\` until it comes back unchanged with no changes (you are up to date); from then on, send the last \`next_cursor\` to get what changed. A page looks at a bounded stretch of the log, so it may hold fewer changes than \`limit\`, or none, and still move the cursor on.

\`entity\` is the entity as it is when the page is read: a change followed by others of the same entity shows its latest state each time; \`version\` says which version the change itself made.

410: the cursor can no longer be followed, because what you may see in the organisation changed since it was given (you joined or left it or one of its projects, your role changed, a project you saw or now see changed its access or went to or from the trash), or because the changes after it are older than the feed keeps. Read the feed again from the beginning and replace what you hold with what it gives.`;

changeRoutes.openapi(
  authedRoute({
    method: 'get',
    operationId: 'listOrganizationChanges',
    path: '/v1/organizations/{org}/changes',
    tags: ['Changes'],
    summary: "The organisation's change feed, for clients that sync",
    description: FEED_DESCRIPTION,
    request: {
      params: z.object({ org: pathParam('org', 'Organisation slug or id.', 'habitat') }),
      query: z.object({
        cursor: z.string().max(300).optional().openapi({ description: 'The `next_cursor` of the last answer; none to start from the beginning.' }),
        limit: queryInt(1, FEED_LIMIT.max).openapi({ description: `Changes per page at most (default ${FEED_LIMIT.default}).` }),
      }),
    },
    responses: {
      200: json(ChangeFeedSchema, 'A page of the feed.'),
      ...errorResponses(400, 404, 410),
    },
  }),
  async (c) => c.json(await readFeed(scopeOf(c), c.req.valid('param').org, c.req.valid('query')), 200),
);

const SUBJECTS: { type: ActivitySubject; path: string; param: string; tag: string; example: string }[] = [
  { type: 'project', path: '/v1/projects/{project}/activity', param: 'project', tag: 'Projects', example: 'prj_01jd8z3b6q0w4y1r7k5t2m9xce' },
  { type: 'asset', path: '/v1/assets/{asset}/activity', param: 'asset', tag: 'Assets', example: 'ast_01jd8z3b6q0w4y1r7k5t2m9xce' },
  { type: 'report', path: '/v1/reports/{report}/activity', param: 'report', tag: 'Reports', example: 'rpt_01jd8z3b6q0w4y1r7k5t2m9xce' },
  { type: 'resource', path: '/v1/resources/{resource}/activity', param: 'resource', tag: 'Resources', example: 'res_01jd8z3b6q0w4y1r7k5t2m9xce' },
];

const ActivityList = listEnvelope(ChangeSchema, 'Activity');

for (const s of SUBJECTS) {
  changeRoutes.openapi(
    authedRoute({
      method: 'get',
      operationId: `list${s.type[0]!.toUpperCase()}${s.type.slice(1)}Activity`,
      path: s.path,
      tags: [s.tag],
      summary: `Who changed this ${s.type} and when, newest first`,
      description: `The changes of this ${s.type} itself, as the organisation's change feed shows them (\`entity\` is the ${s.type} as it is now). Kept for the change log's retention period; the latest one always.`,
      request: {
        params: z.object({ [s.param]: pathParam(s.param, `The ${s.type}'s id.`, s.example) }),
        query: listQuerySchema(activitySpec),
      },
      responses: {
        200: { ...json(ActivityList, 'A page of changes.'), headers: LIST_HEADERS },
        ...errorResponses(400, 404),
      },
    }),
    async (c) => {
      const id = (c.req.valid('param') as Record<string, string>)[s.param]!;
      const { link, ...page } = await readActivity(scopeOf(c), s.type, id, c.req.valid('query'), c.req.url);
      return c.json(page, 200, { Link: link });
    },
  );
}
