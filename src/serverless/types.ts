/**
 * The parts of the Serverless Framework (v3 / osls) object model the plugin touches. The framework
 * ships no types; these are written from what it does, and kept to what we use.
 */
export type EnvValue = string | number | boolean | null | Record<string, unknown> | unknown[];
export type Environment = Record<string, EnvValue | undefined>;

export interface FunctionConfig {
  environment?: Environment;
  /** stage-secrets: the only secrets this function receives */
  secrets?: string[];
  [key: string]: unknown;
}

export interface ServiceConfig {
  service: string;
  serviceObject?: { name?: string };
  provider: { environment?: Environment; [key: string]: unknown };
  functions?: Record<string, FunctionConfig | null | undefined>;
  custom?: Record<string, unknown> | null;
}

export interface PluginLog {
  notice(message: string): void;
  warning(message: string): void;
  info?(message: string): void;
}

export interface ConfigSchemaHandler {
  defineCustomProperties(schema: Record<string, unknown>): void;
  defineFunctionProperties(provider: string, schema: Record<string, unknown>): void;
}

export interface ServerlessLike {
  service: ServiceConfig;
  serviceDir?: string;
  /** the config file (serverless.yml, ...) relative to serviceDir */
  configurationFilename?: string;
  /** older name of serviceDir */
  config?: { servicePath?: string; serviceDir?: string };
  processedInput?: { commands?: string[]; options?: Record<string, unknown> };
  configSchemaHandler?: ConfigSchemaHandler;
  classes: { Error: new (message: string, code?: string) => Error };
  getProvider(name: 'aws'): { getStage(): string };
}

/** What the v3, osls and v4 variables resolvers hand a configurationVariablesSources resolver. */
export interface VariableResolverInput {
  address?: string;
  params?: string[];
  options?: { stage?: string; [key: string]: unknown };
  /** v3 and osls only */
  serviceDir?: string;
  /** v3 and osls only */
  isSourceFulfilled?: boolean;
  /** missing in v4.4.x (serverless/serverless#12883) */
  resolveVariable?(variable: string): Promise<unknown>;
  resolveConfigurationProperty(path: string[]): Promise<unknown>;
}
