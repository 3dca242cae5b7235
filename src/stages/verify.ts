import { openStage } from './open.js';
import type { StageOptions } from './options.js';

export interface VerifyReport {
  stage: string;
  app: string;
  identity: string;
  ok: string[];
  failed: string[];
  /** names no key holder approved: the build refuses the stage until they are approved or removed */
  pending: string[];
  /** the stage's policy is open: names need no approval */
  open: boolean;
  /** distinct ephemeral keys: each costs one X25519 agreement whenever the stage is opened */
  ephemeralKeys: number;
}

/** Opens every secret and reports which fail, instead of stopping at the first. */
export async function verifyStage(opts: StageOptions): Promise<VerifyReport> {
  const opened = await openStage(opts);
  const ok: string[] = [];
  const failed: string[] = [];
  for (const name of Object.keys(opened.file.secrets).sort()) {
    try {
      opened.decrypt(name);
      ok.push(name);
    } catch {
      failed.push(name);
    }
  }
  const ephemeralKeys = new Set(Object.values(opened.file.secrets).map((e) => e.epk)).size;
  return {
    stage: opened.file.stage,
    app: opened.file.app,
    identity: opened.identity.id,
    ok,
    failed,
    pending: opened.pending,
    open: opened.open,
    ephemeralKeys,
  };
}
