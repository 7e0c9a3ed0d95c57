/**
 * The name under which unreadable content is kept aside: `<base>.corrupt-<UTC time>`, sortable
 * and legal in file names and keyring accounts on every OS. Pass `attempt` > 0 for a second
 * name when the first is taken.
 *
 * @example
 * ```ts
 * asideName('/home/me/.cache/app/msal.cache'); // '/home/me/.cache/app/msal.cache.corrupt-2026-11-23T18-33-16-123Z'
 * ```
 */
export function asideName(base: string, attempt = 0, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return `${base}.corrupt-${stamp}${attempt > 0 ? `-${attempt}` : ''}`;
}
