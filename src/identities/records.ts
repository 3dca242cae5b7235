// Typed identity records for the stage file parser. Kept apart from registry.ts so zod is not pulled
// into the Lambda runtime bundle, which opens records the plugin already checked.
import { z } from 'zod/v3';
import { identityFields, type IdentityRecordsSchema } from '../core/format.js';
import { IDENTITY_KINDS } from './registry.js';

type RecordSchema = z.ZodDiscriminatedUnionOption<'type'>;

/** Every kind's record schema as one union on `type`. */
export function identityRecordSchema(): z.ZodTypeAny {
  const schemas = IDENTITY_KINDS.map((kind) => kind.recordSchema(z, identityFields) as RecordSchema);
  return z.discriminatedUnion('type', schemas as [RecordSchema, ...RecordSchema[]]);
}

/** The union the stage file parser checks records against (core/format.ts ParseOptions.identities). */
export const IDENTITY_RECORDS: IdentityRecordsSchema = identityRecordSchema();
