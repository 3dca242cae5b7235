/** Adding to a service's or function's `package.patterns` so that what we add stays last, and so wins. */

interface PackageConfig {
  patterns?: unknown;
}

/**
 * Appends patterns at the end, first removing equal strings the user wrote: the framework merges
 * pattern lists with a union that keeps a repeated string at its first place, before the user's others.
 */
export function appendPatternsLast(target: { package?: unknown }, patterns: string[]): void {
  const pkg = (target.package ??= {}) as PackageConfig;
  const own = Array.isArray(pkg.patterns) ? (pkg.patterns as unknown[]) : [];
  pkg.patterns = [...own.filter((p) => typeof p !== 'string' || !patterns.includes(p)), ...patterns];
}
