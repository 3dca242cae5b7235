import { describeIdentity } from '../identities/index.js';
import { identityTrust, recordForReview, trustProblem } from './identity-trust.js';
import { Stage } from './stage.js';
import type { StageOptions } from './options.js';

export interface VerifyReport {
  stage: string;
  app: string;
  identity: string;
  /** the identity that opened the stage, in words (e.g. "age recipient age1..."); never key material */
  identityDescription: string;
  /** every identity of the stage, in words */
  identities: string[];
  /**
   * identity records no key holder confirmed (untagged, a tag that fails, an id not derived from its fields):
   * rotate and rewrap refuse the stage while it has them; each with why and who it wraps to
   */
  unconfirmedIdentities: Array<{ id: string; record: string; problem: string }>;
  ok: string[];
  failed: string[];
  /** names no key holder approved: the build refuses the stage until they are approved or removed */
  pending: string[];
  /** values holding a NUL character (made by hand or an older version): no environment variable can carry them */
  nul: string[];
  /** the stage's policy is open: names need no approval */
  open: boolean;
  /** entries sealed to another key than the stage's (a branch set them before a rotate): set them again */
  sealedToOtherKey: string[];
  /** reference entries that open (set --ref), sorted; their targets only with `showRefs` */
  references: Array<{ name: string; target?: string }>;
  /** the target prefixes a key holder allowed (approve --allow-ref), when the header limits them */
  allowedRefs?: readonly string[];
  /** references whose target the allowed prefixes do not cover: the build refuses the stage */
  refsOutsideAllowed: Array<{ name: string; target: string }>;
  /** distinct ephemeral keys: each costs one X25519 agreement whenever the stage is opened */
  ephemeralKeys: number;
}

/** Opens every secret and reports which fail, instead of stopping at the first. */
export async function verifyStage(opts: StageOptions, options: { showRefs?: boolean } = {}): Promise<VerifyReport> {
  const opened = await Stage.find(opts).open({ reportOtherKey: true });
  const ok: string[] = [];
  const failed: string[] = [];
  const nul: string[] = [];
  for (const name of Object.keys(opened.file.secrets).sort()) {
    if (opened.sealedToOtherKey.includes(name)) continue;
    let text: string;
    try {
      text = opened.decrypt(name).text;
    } catch {
      failed.push(name);
      continue;
    }
    ok.push(name);
    if (text.includes('\0')) nul.push(name);
  }
  const ephemeralKeys = new Set(Object.values(opened.file.secrets).map((e) => e.epk)).size;
  return {
    stage: opened.file.stage,
    app: opened.file.app,
    identity: opened.identity.id,
    identityDescription: opened.identityDescription,
    identities: opened.file.identities.map(describeIdentity),
    unconfirmedIdentities: identityTrust(opened.file, opened.approvals)
      .filter((t) => t.trust !== 'confirmed')
      .map((t) => ({ id: t.record.id, record: recordForReview(t.record), problem: trustProblem(t.trust) })),
    ok,
    failed,
    nul,
    pending: opened.pending,
    open: opened.open,
    sealedToOtherKey: opened.sealedToOtherKey,
    references: [...opened.references].map(([name, target]) => (options.showRefs ? { name, target } : { name })),
    ...(opened.allowedRefs ? { allowedRefs: opened.allowedRefs } : {}),
    refsOutsideAllowed: opened.refsOutsideAllowed.map((name) => ({ name, target: opened.references.get(name)! })),
    ephemeralKeys,
  };
}
