/** An IAM policy statement, as the plugin adds it to a service's role. */
export type IamStatement = Record<string, unknown>;

/** Characters IAM reads as wildcards or policy variables: a key or folder holding one would widen a grant. */
export function iamUnsafeCharacter(text: string): string | undefined {
  return /[*?$]/.exec(text)?.[0];
}
