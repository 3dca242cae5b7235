/**
 * Git's conflict markers in a file a merge or rebase stopped on: `<<<<<<< ours`, `|||||||` (diff3),
 * `=======`, `>>>>>>> theirs`, each at the start of a line, seven characters or more (conflict-marker-size).
 */
const MARKER = /^(?:<{7,}|\|{7,}|>{7,})(?: |$)|^={7,}$/;

/** The 1-based line of the first conflict marker, when the text holds a `<<<<<<<` or `>>>>>>>` line. */
export function firstConflictMarkerLine(text: string): number | undefined {
  const lines = text.split(/\r?\n/);
  if (!lines.some((l) => /^(?:<{7,}|>{7,})(?: |$)/.test(l))) return undefined;
  const index = lines.findIndex((l) => MARKER.test(l));
  return index === -1 ? undefined : index + 1;
}
