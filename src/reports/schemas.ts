import { z } from '@hono/zod-openapi';
import type { BlobRow, ReportRow } from '../db/schema';
import { iso } from '../lib/time';

export const REPORT_STATUS = z.enum(['draft', 'final']).openapi({ description: '`draft` while it is being written, `final` once issued.' });

const NAME = z.string().trim().min(1).max(200);
const DESCRIPTION = z.string().trim().max(10_000);
const ID = z.string().trim().min(1).max(64);

export const ReportCreateBody = z
  .object({
    project_id: ID.openapi({ description: 'The project the report belongs to (prj_…).' }),
    asset_id: ID.nullable().optional().openapi({ description: 'Optionally, an asset of that project (ast_…).' }),
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
    url: z.string().openapi({ example: '/v1/reports/rpt_01jd8z3b6q0w4y1r7k5t2m9xce/download' }),
    mime_type: z.string(),
    size: z.number().int(),
    sha256: z.string(),
  })
  .openapi('ReportFile');

export const ReportSchema = z
  .object({
    id: z.string().openapi({ example: 'rpt_01jd8z3b6q0w4y1r7k5t2m9xce' }),
    project: z.object({ id: z.string(), name: z.string() }),
    asset: z.object({ id: z.string(), name: z.string() }).nullable(),
    name: z.string(),
    description: z.string(),
    status: REPORT_STATUS,
    file: ReportFileSchema.nullable().openapi({ description: 'Null until a file is attached.' }),
    created_by: z.object({ id: z.string(), username: z.string() }).nullable().openapi({ description: 'Null once the account is deleted.' }),
    created_at: z.string().datetime(),
    updated_at: z.string().datetime(),
  })
  .openapi('Report');
export type ReportOut = z.infer<typeof ReportSchema>;

export interface ReportJoined {
  report: ReportRow;
  project: { id: string | null; name: string | null };
  asset: { id: string | null; name: string | null };
  file: BlobRow | null;
  creator: { id: string | null; username: string | null };
}

export function toReport({ report: r, project, asset, file, creator }: ReportJoined): ReportOut {
  return {
    id: r.id,
    project: { id: r.projectId, name: project.name ?? '' },
    asset: r.assetId && asset.id ? { id: asset.id, name: asset.name ?? '' } : null,
    name: r.name,
    description: r.description,
    status: r.status,
    file: file ? { url: `/v1/reports/${r.id}/download`, mime_type: file.mimeType, size: file.size, sha256: file.sha256 } : null,
    created_by: creator.id && creator.username ? { id: creator.id, username: creator.username } : null,
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
  };
}
