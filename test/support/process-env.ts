/**
 * For a test file whose code under test reads AWS settings from process.env (the SDK does): every AWS_*
 * and STAGE_SECRETS_* variable of the machine taken out and `settings` put in. Returns what puts
 * process.env back as it was.
 */
export function replaceAwsProcessEnv(settings: NodeJS.ProcessEnv): () => void {
  const saved = { ...process.env };
  for (const name of Object.keys(process.env))
    if (name.startsWith('AWS_') || name.startsWith('STAGE_SECRETS_')) delete process.env[name];
  Object.assign(process.env, settings);
  return () => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  };
}
