/**
 * Stage files as this layer reads them: checked against every identity kind's record schema, which core
 * and store/ do not know (they sit below the kinds). Every parse and every store of stages/ comes from here.
 */
import { parseStageFile, type ParseOptions, type StageFile } from '../core/format.js';
import { IDENTITY_RECORDS } from '../identities/records.js';
import { StageStore, type StageStoreOptions } from '../store/stage-store.js';

/** Parses and validates a stage file's (or v3 header's) text; `where` names it in errors. */
export function parseStageText(text: string, where: string, options: Omit<ParseOptions, 'identities'> = {}): StageFile {
  return parseStageFile(text, where, { ...options, identities: IDENTITY_RECORDS });
}

/** The store of a secrets folder. */
export function stageStoreAt(options: Omit<StageStoreOptions, 'identities'>): StageStore {
  return new StageStore({ ...options, identities: IDENTITY_RECORDS });
}
