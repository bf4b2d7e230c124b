/** A field path's names as the host reads them: dotted text, empty parts dropped. */
export const names = (parts: unknown[]): string[] => parts.flatMap((part) => String(part).split('.')).filter(Boolean);

/** `appends`, `fields`, `sort` as the host takes them: arrays, or comma-separated text, `-` for descending. */
export const listed = (value: unknown): string[][] =>
  [value]
    .flat()
    .flatMap((item) => (typeof item === 'string' ? item.split(',') : []))
    .map((item) => names([item.trim().replace(/^-/, '')]))
    .filter((path) => path.length > 0);
