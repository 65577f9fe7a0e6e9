import { z } from '@hono/zod-openapi';
import type { BlobRow, ReportRow } from '../db/schema';
import { numberOf } from '../db/numbers';
import { API_PATH, COUNT, ENTITY_NUMBER, ID, SHA256, TIMESTAMP } from '../http/schemas';
import { iso } from '../lib/time';
import { ASSET_LIMITS } from '../assets/schemas';
import { PROJECT_LIMITS } from '../projects/schemas';
import { USERNAME_OUT } from '../users/schemas';

export const REPORT_STATUS = z.enum(['draft', 'final']).openapi({ description: '`draft` while it is being written, `final` once issued.' });

/** Field limits, shared by the bodies and the answers (which hold only what the bodies let in). */
export const REPORT_LIMITS = { name: 200, description: 10_000, id: 64 } as const;

const NAME = z.string().trim().min(1).max(REPORT_LIMITS.name);
const DESCRIPTION = z.string().trim().max(REPORT_LIMITS.description);
const ID_IN = z.string().trim().min(1).max(REPORT_LIMITS.id);

export const ReportCreateBody = z
  .object({
    project_id: ID_IN.openapi({ description: 'The project the report belongs to (prj_…).' }),
    asset_id: ID_IN.nullable().optional().openapi({ description: 'Optionally, an asset of that project (ast_…).' }),
    name: NAME,
    description: DESCRIPTION.optional(),
    status: REPORT_STATUS.optional(),
  })
  .strict()
  .openapi('ReportCreate');
export type ReportInput = z.infer<typeof ReportCreateBody>;

/** The multipart form: the same fields, the name defaulting to the file's. */
export const ReportFormFields = ReportCreateBody.extend({ name: NAME.optional() });

export const REPORT_FORM_FIELDS = { project_id: 'text', asset_id: 'text', name: 'text', description: 'text', status: 'text' } as const;

export const ReportPatchBody = z
  .object({ name: NAME.optional(), description: DESCRIPTION.optional(), status: REPORT_STATUS.optional() })
  .strict()
  .openapi('ReportPatch');
export type ReportChanges = z.infer<typeof ReportPatchBody>;

export const ReportFileSchema = z
  .object({
    url: API_PATH.openapi({ example: '/v1/reports/rpt_01jd8z3b6q0w4y1r7k5t2m9xce/download' }),
    mime_type: z.string(),
    size: COUNT.openapi({ description: 'Bytes.' }),
    sha256: SHA256,
  })
  .openapi('ReportFile');

export const ReportSchema = z
  .object({
    id: ID.openapi({ example: 'rpt_01jd8z3b6q0w4y1r7k5t2m9xce' }),
    number: ENTITY_NUMBER,
    project: z.object({ id: ID, number: ENTITY_NUMBER, name: z.string().max(PROJECT_LIMITS.name) }),
    asset: z.object({ id: ID, number: ENTITY_NUMBER, name: z.string().max(ASSET_LIMITS.name) }).nullable(),
    name: z.string().max(REPORT_LIMITS.name),
    description: z.string().max(REPORT_LIMITS.description),
    status: REPORT_STATUS,
    file: ReportFileSchema.nullable().openapi({ description: 'Null until a file is attached.' }),
    created_by: z.object({ id: ID, username: USERNAME_OUT }).nullable().openapi({ description: 'Null once the account is deleted.' }),
    created_at: TIMESTAMP,
    updated_at: TIMESTAMP,
  })
  .openapi('Report');
export type ReportOut = z.infer<typeof ReportSchema>;

export interface ReportJoined {
  report: ReportRow;
  project: { id: string | null; number: number | null; name: string | null };
  asset: { id: string | null; number: number | null; name: string | null };
  file: BlobRow | null;
  creator: { id: string | null; username: string | null };
}

export function toReport({ report: r, project, asset, file, creator }: ReportJoined): ReportOut {
  return {
    id: r.id,
    number: numberOf(r),
    project: { id: r.projectId, number: numberOf(project), name: project.name ?? '' },
    asset: r.assetId && asset.id ? { id: asset.id, number: numberOf(asset), name: asset.name ?? '' } : null,
    name: r.name,
    description: r.description,
    status: r.status,
    file: file ? { url: `/v1/reports/${r.id}/download`, mime_type: file.mimeType, size: file.size, sha256: file.sha256 } : null,
    created_by: creator.id && creator.username ? { id: creator.id, username: creator.username } : null,
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
  };
}
