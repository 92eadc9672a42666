/** The document's `## ` sections, by title. */
function sections(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of markdown.split(/\n(?=## )/).slice(1)) {
    const newline = part.indexOf('\n');
    found.set(part.slice(3, newline === -1 ? undefined : newline).trim(), part.slice(newline + 1));
  }
  return found;
}

/** The sections whose content differs between two drafts, in the newer draft's order. */
export function changedSections(previous: string, next: string): string[] {
  const before = sections(previous);
  return [...sections(next)].filter(([title, body]) => before.get(title) !== body).map(([title]) => title);
}
