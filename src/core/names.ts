import { StageSecretsError } from './errors.js';

export const KEY_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;
export const STAGE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Names Lambda reserves for its runtime; a function using one fails to deploy. */
export const LAMBDA_RESERVED_NAMES: readonly string[] = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_DEFAULT_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_LAMBDA_RUNTIME_API',
  'AWS_REGION',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'LAMBDA_RUNTIME_DIR',
  'LAMBDA_TASK_ROOT',
];

/**
 * Names that change how the build itself runs. A writer needs no key to add a secret, so a hostile
 * pull request could otherwise load code into the CI (NODE_OPTIONS, LD_PRELOAD, BASH_ENV, …) or
 * redirect its network and credentials (proxies, CA bundles, AWS settings). Name approval is the
 * first wall (a new name needs a key holder); this list is the second, and cannot be complete.
 */
export const BUILD_HIJACK_NAMES: readonly string[] = [
  // shells and the system
  'BASH_ENV',
  'BASHOPTS',
  'CDPATH',
  'ENV',
  'GLOBIGNORE',
  'HOME',
  'IFS',
  'INPUTRC',
  'LOGNAME',
  'OLDPWD',
  'PATH',
  'PROMPT_COMMAND',
  'PS4',
  'PWD',
  'SHELL',
  'SHELLOPTS',
  'TEMP',
  'TMP',
  'TMPDIR',
  'USER',
  'ZDOTDIR',
  'GCONV_PATH',
  'LOCPATH',
  'HOSTALIASES',
  'RES_OPTIONS',
  'LOCALDOMAIN',
  'OPENSSL_CONF',
  'OPENSSL_ENGINES',
  'OPENSSL_MODULES',
  // programs a tool starts on its own
  'BROWSER',
  'EDITOR',
  'VISUAL',
  'PAGER',
  'MANPAGER',
  'LESSOPEN',
  'LESSCLOSE',
  'SUDO_ASKPASS',
  'SSH_ASKPASS',
  'SSH_ASKPASS_REQUIRE',
  'SSH_AUTH_SOCK',
  'KUBECONFIG',
  'KUBECTL_EXTERNAL_DIFF',
  // CI runners
  'CI',
  'GITHUB_ENV',
  'GITHUB_OUTPUT',
  'GITHUB_PATH',
  'GITHUB_STATE',
  'GITHUB_STEP_SUMMARY',
  'RUNNER_TEMP',
  // network and TLS
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'ALL_PROXY',
  'NO_PROXY',
  'FTP_PROXY',
  'CURL_CA_BUNDLE',
  'CURL_HOME',
  'WGETRC',
  'REQUESTS_CA_BUNDLE',
  'SSL_CERT_DIR',
  'SSL_CERT_FILE',
  'NODE_EXTRA_CA_CERTS',
  'NODE_TLS_REJECT_UNAUTHORIZED',
  // serverless v3 reads its own proxy and CA settings
  'PROXY',
  'CA',
  'CAFILE',
  'HTTPS_CA',
  'HTTPS_CAFILE',
  // language runtimes and package managers
  'NODE_OPTIONS',
  'NODE_PATH',
  'NODE_REPL_EXTERNAL_MODULE',
  'CLASSPATH',
  'JAVA_TOOL_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'JAVA_OPTS',
  '_JAVA_OPTIONS',
  'MAVEN_OPTS',
  'GRADLE_OPTS',
  'SBT_OPTS',
  'GEM_HOME',
  'GEM_PATH',
  'RUBYLIB',
  'RUBYOPT',
  'PERL5LIB',
  'PERL5OPT',
  'PERLLIB',
  'COMPOSER_HOME',
  'GOFLAGS',
  'GOPROXY',
  'GOPATH',
  'GOROOT',
  'GOENV',
  'GOTOOLCHAIN',
  'GONOSUMDB',
  'GONOSUMCHECK',
  'GOPRIVATE',
  'GOINSECURE',
  'RUSTC',
  'RUSTC_WRAPPER',
  'RUSTFLAGS',
  'RUSTDOC',
  'CC',
  'CXX',
  'CPP',
  'LD',
  'AR',
  'AS',
  'CFLAGS',
  'CXXFLAGS',
  'CPPFLAGS',
  'LDFLAGS',
  'MAKE',
  'MAKEFLAGS',
  'MFLAGS',
  'GNUMAKEFLAGS',
  'CMAKE_TOOLCHAIN_FILE',
  'COREHOST_TRACE',
  'DOCKER_HOST',
  'DOCKER_CONFIG',
  'DOCKER_CERT_PATH',
  'DOCKER_TLS_VERIFY',
  'SLS_SET_SECRET_ENVS',
  'PHPRC',
  'PHP_INI_SCAN_DIR',
  'ELIXIR_ERL_OPTIONS',
  'MAVEN_ARGS',
  'JAVA_HOME',
  'GOOGLE_APPLICATION_CREDENTIALS',
  // Terraform: flags for every command and where providers come from (TF_VAR_* stay: they are inputs)
  'TF_DATA_DIR',
  'TF_PLUGIN_CACHE_DIR',
  'TF_REATTACH_PROVIDERS',
];

/** Prefixes refused whole: Lambda's and AWS's own, loader hooks, tool settings, and this tool's variables. */
export const RESERVED_PREFIXES: readonly string[] = [
  'AWS_',
  'LAMBDA_',
  'LD_',
  'DYLD_',
  'BASH_FUNC_',
  'NPM_CONFIG_',
  'GIT_',
  'STAGE_SECRETS_',
  'PYTHON',
  'PIP_',
  'YARN_',
  'PNPM_',
  'BUN_',
  'DENO_',
  'ACTIONS_',
  'RUNNER_',
  'XDG_',
  'CARGO_',
  'DOTNET_',
  'BUNDLE_',
  'SLS_',
  'SERVERLESS_',
  'OPENSSL_',
  'MALLOC_',
  'GLIBC_',
  // Node reads ever more NODE_* settings (NODE_CHANNEL_FD, NODE_COMPILE_CACHE, ...): all but NODE_ENV
  'NODE_',
  // binaries, registries and flags of build tools: esbuild, corepack, cgo, Lua, Erlang and Elixir, .NET
  // profilers, Terraform's CLI, Gradle, Prisma's engines, the Google Cloud SDK, SST's own settings and keys
  'ESBUILD_',
  'COREPACK_',
  'CGO_',
  'LUA_',
  'ERL_',
  'MIX_',
  'CORECLR_',
  'COR_',
  'COMPLUS_',
  'TF_CLI_',
  'GRADLE_',
  'PRISMA_',
  'CLOUDSDK_',
  'SST_',
];

/** Names under a refused prefix that are ordinary settings, not a way into the build. */
const ALLOWED_UNDER_PREFIX: ReadonlySet<string> = new Set(['NODE_ENV']);

const lambdaReserved = new Set(LAMBDA_RESERVED_NAMES);
const hijack = new Set(BUILD_HIJACK_NAMES);
// one match instead of a startsWith per prefix (a cold start checks every packaged name); the alternation
// tries the prefixes in list order, so the prefix named is the one find() would name
const reservedPrefix = new RegExp(`^(?:${RESERVED_PREFIXES.map((p) => p.replace(/[^A-Z0-9_]/g, '\\$&')).join('|')})`);

/** Why a name is refused, or undefined when it is allowed. Compared case-insensitively. */
export function reservedReason(name: string): string | undefined {
  const upper = name.toUpperCase();
  if (lambdaReserved.has(upper)) return `${name} is reserved by AWS Lambda`;
  if (hijack.has(upper)) return `${name} would change how the build runs (build-hijacking name)`;
  const prefix = ALLOWED_UNDER_PREFIX.has(upper) ? undefined : reservedPrefix.exec(upper)?.[0];
  if (prefix) {
    return prefix === 'AWS_' || prefix === 'LAMBDA_'
      ? `${name}: names starting with ${prefix} are reserved by AWS Lambda and steer the build's AWS access`
      : prefix === 'STAGE_SECRETS_'
        ? `${name}: names starting with ${prefix} are used by stage-secrets itself`
        : `${name}: names starting with ${prefix} would change how the build runs (build-hijacking prefix)`;
  }
  return undefined;
}

/** Why a key name is invalid, or undefined when valid. */
export function keyNameProblem(name: string): string | undefined {
  if (!KEY_NAME_PATTERN.test(name)) {
    return `invalid secret name ${JSON.stringify(name.slice(0, 120))}: use a letter, then letters, digits or _ (at most 100 characters)`;
  }
  return reservedReason(name);
}

export function assertKeyName(name: string): void {
  const problem = keyNameProblem(name);
  if (problem) throw new StageSecretsError('INVALID_NAME', `${problem}. Choose another name.`);
}

export function assertStageName(stage: string): void {
  if (!STAGE_NAME_PATTERN.test(stage)) {
    throw new StageSecretsError(
      'USAGE',
      `invalid stage name ${NOT_SHOWN}: use letters, digits, - or _ (at most 64 characters)`,
    );
  }
}

/** Said instead of an argument that is no valid name: it may be a secret value typed in the wrong place. */
export const NOT_SHOWN = '(not shown, in case a value was typed in its place)';

const NAME_LIKE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * A word the user typed (an app, a format, a type), quoted for an error message when it reads like a name,
 * else NOT_SHOWN: an argument that is no valid name is never echoed into a terminal or a CI log.
 */
export function shownName(text: string): string {
  return NAME_LIKE.test(text) ? JSON.stringify(text) : NOT_SHOWN;
}

/** What every stage key variable's name starts with (STAGE_SECRETS_KEYS, without the _, is run's name list). */
export const STAGE_KEY_ENV_PREFIX = 'STAGE_SECRETS_KEY_';

/** The env var that may hold a stage's local key in CI: STAGE_SECRETS_KEY_<STAGE>. */
export function stageKeyEnvName(stage: string): string {
  return `${STAGE_KEY_ENV_PREFIX}${stage.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Whether an env var is (in any letter case) the key variable of some stage. */
export function isStageKeyEnvName(name: string): boolean {
  return name.toUpperCase().startsWith(STAGE_KEY_ENV_PREFIX);
}
