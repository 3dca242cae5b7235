/** The file names of a Serverless service's config, in the framework's order: the first a folder has is its config. */
export const SERVERLESS_CONFIGS = [
  'serverless.yml',
  'serverless.yaml',
  'serverless.json',
  'serverless.js',
  'serverless.cjs',
  'serverless.mjs',
  'serverless.ts',
] as const;
