/**
 * The contract between an app's code and its stages: which names each function needs, and whether each
 * checked stage has them. Everything here is read without a key: secret names are public in the repo.
 */

/** Where a need was found: a file relative to the folder the check ran in (posix separators), and a line. */
export interface SourceLine {
  file: string;
  line: number;
}

/**
 * How a name is needed. `secrets-list`: a function's (or the service's) `secrets:` list; `config-variable`:
 * `${secret:NAME}` without a fallback in the serverless config; `required` / `optional`:
 * custom.stageSecrets.required / optional; `code`: the function's own module graph reads it.
 */
export type NeedKind = 'secrets-list' | 'config-variable' | 'required' | 'optional' | 'code';

export interface Need {
  name: string;
  service: string;
  /** absent: the service as a whole needs it (service-level list, required, a variable outside functions) */
  function?: string;
  kind: NeedKind;
  at: SourceLine;
  /** false for optional names: shown when missing, but no failure */
  required: boolean;
  /** for code reads: how it was read (process.env.NAME, readSecret, secretEnv) */
  how?: string;
}

/**
 * A name's state in one stage. Today: `present` (sealed, with an approval tag), `pending` (sealed, no
 * approval yet: the build refuses the stage until a key holder approves it), `missing`. The statuses
 * the stage layout v3 and expiry add slot in here: `sealed-to-old-key`, `expiring`, `expired`.
 */
export type CellStatus = 'present' | 'pending' | 'missing' | 'sealed-to-old-key' | 'expiring' | 'expired';

export interface ContractRow {
  name: string;
  /** stage → status */
  cells: Record<string, CellStatus>;
  /** the stages in which the name is a reference (set --ref: the build reads its value from AWS); only when some */
  references?: string[];
  /** who needs it, sorted by service, function, file, line; empty: no service reads or lists it */
  neededBy: Need[];
}

/** A required name missing in a checked stage: what makes `check` fail. */
export interface MissingName {
  name: string;
  stage: string;
  /** absent from the stage, or there but past its expiry (set --expires): both fail the check */
  status?: 'missing' | 'expired';
  /** true when at least one need is required (optional-only names are reported, never fatal) */
  required: boolean;
  neededBy: Need[];
}

/** A file the scan could not read or parse, or a function it could not follow. */
export interface Unreadable {
  file: string;
  reason: string;
}

export interface ServiceSummary {
  name: string;
  /** its config file, relative to the check's folder */
  config: string;
  functions: string[];
}

/** A code read whose name the function's `secrets:` list leaves out: the function sees undefined there. */
export interface WithheldRead {
  service: string;
  function: string;
  name: string;
  at: SourceLine;
}

/**
 * A secrets folder of the repository (the plugin or `run` could open each): its stages, the services that
 * use it, its missing names and the files in it that are no header or entry.
 */
export interface CheckedFolder {
  /** relative to the check's folder, `/`-separated */
  folder: string;
  stages: string[];
  /** names of the services whose secrets folder it is */
  services: string[];
  /** required or optional names its services need that its checked stages lack */
  missing: MissingName[];
  /** files that are neither a stage header nor an entry (`os-litter`: skipped by every reader) */
  unexpected: Array<{ file: string; kind: 'os-litter' | 'unexpected' }>;
  /** no required name is missing in its checked stages */
  ok: boolean;
}

export interface ContractReport {
  /** the secrets folder, relative to the check's folder */
  secretsDir: string;
  /** every secrets folder of the repository, the one above first (only it outside git) */
  folders: CheckedFolder[];
  /** the stages checked, sorted */
  stages: string[];
  services: ServiceSummary[];
  /** every name of a checked stage or needed by a service, sorted */
  rows: ContractRow[];
  missing: MissingName[];
  withheld: WithheldRead[];
  unreadable: Unreadable[];
  /** no required name is missing in a checked stage, of any folder */
  ok: boolean;
}
