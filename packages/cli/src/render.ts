// The human output of each command, derived from the same report `--json` prints.
import type { CacheLocation } from '@msal-persist/msal-plugin';
import type { AccessTokenCount, TokenDetail } from './cache-summary.js';
import type { ClearReport } from './clear.js';
import type { DoctorReport } from './doctor.js';
import type { InspectReport, LockReport } from './inspect.js';
import type { Style } from './style.js';

const KIND: Record<string, string> = {
  dpapi: 'DPAPI',
  keychain: 'Keychain',
  libsecret: 'Secret Service',
  'kernel-keyring': 'kernel keyring',
  file: 'plaintext file',
};

/** The first sentence, for a one-line reason. */
function firstSentence(text: string): string {
  const end = text.search(/\.(\s|$)/);
  return end < 0 ? text : text.slice(0, end + 1);
}

function locationLines(location: CacheLocation, style: Style, width = 10): string[] {
  const rows: Array<[string, string | undefined]> = [
    ['cache', location.item ? `item ${location.item} (${KIND[location.backend]})` : location.file],
    ['signal', location.signal],
    ['lock file', location.lock],
  ];
  return rows.flatMap(([label, value]) => (value ? [`  ${style.dim(label.padEnd(width))}${value}`] : []));
}

/** `doctor` as text. */
export function renderDoctor(report: DoctorReport, style: Style, verbose: boolean): string {
  const lines = [style.bold(`msal-persist doctor: the token cache of ${report.appName} on ${report.platform}`), ''];
  const width = Math.max(...report.backends.map((entry) => entry.backend.length)) + 2;
  for (const entry of report.backends) {
    const name = entry.backend.padEnd(width);
    if (entry.available) {
      const kind = entry.encrypted
        ? style.green('encrypted')
        : style.yellow('PLAINTEXT (only with allowPlaintextFallback)');
      lines.push(`  ${style.green('✓')} ${name}${kind}  ${entry.location?.item ?? entry.location?.file ?? ''}`);
    } else if (entry.problem === 'wrong-os') {
      lines.push(`  ${style.dim(`- ${name}${entry.reason ?? ''}`)}`);
    } else {
      const reason = verbose ? (entry.reason ?? '') : firstSentence(entry.reason ?? '');
      lines.push(`  ${style.red('✗')} ${name}${entry.problem}: ${reason}`);
      if (entry.fix) lines.push(`    ${' '.repeat(width)}${style.bold('fix:')} ${entry.fix}`);
    }
  }
  lines.push('');
  const choice = report.choice;
  if (!choice) {
    lines.push(style.red('No backend works here, not even a plaintext file: createCachePlugin fails.'));
  } else if (choice.needsPlaintextFallback) {
    lines.push(
      style.yellow(
        'No encrypted backend works here: createCachePlugin fails unless allowPlaintextFallback: true, which uses the plaintext file:',
      ),
      ...locationLines(choice.location, style),
    );
  } else {
    lines.push(`createCachePlugin({ appName: '${report.appName}' }) uses ${style.bold(choice.backend)} (encrypted):`);
    lines.push(...locationLines(choice.location, style));
  }
  return lines.join('\n');
}

function when(iso: string | null, now: number): string {
  if (iso === null) return 'unknown';
  const minutes = Math.round((Date.parse(iso) - now) / 60_000);
  const span =
    Math.abs(minutes) < 120
      ? `${Math.abs(minutes)} min`
      : Math.abs(minutes) < 2880
        ? `${Math.round(Math.abs(minutes) / 60)} h`
        : `${Math.round(Math.abs(minutes) / 1440)} d`;
  return `${iso} (${minutes < 0 ? `${span} ago` : `in ${span}`})`;
}

function accessLine(tokens: AccessTokenCount, now: number): string {
  if (tokens.count === 0) return 'no access token';
  const expired = tokens.expired > 0 ? `, ${tokens.expired} expired` : '';
  const next = tokens.nextExpiresOn ? `, next expiry ${when(tokens.nextExpiresOn, now)}` : '';
  return `${tokens.count} access token(s)${expired}${next}`;
}

function tokenLine(token: TokenDetail, now: number): string {
  const parts = [`${token.kind} token`, `client ${token.clientId ?? '?'}`];
  if (token.tenant) parts.push(`tenant ${token.tenant}`);
  if (token.scopes) parts.push(`scopes ${token.scopes.join(' ') || '(none)'}`);
  if (token.family) parts.push(`family ${token.family}`);
  if (token.expiresOn !== undefined)
    parts.push(`${token.expired ? 'expired' : 'expires'} ${when(token.expiresOn, now)}`);
  return parts.join(', ');
}

function lockLine(lock: LockReport, style: Style): string {
  switch (lock.state) {
    case 'free':
      return 'free';
    case 'held': {
      const where =
        lock.thisHost === true ? 'on this host' : lock.thisHost === false ? 'on another host or container' : '';
      const program = lock.program ? ` (${lock.program})` : '';
      return style.yellow(`held by pid ${lock.pid ?? '?'} ${where}${program}`.replace(/\s+/g, ' ').trim());
    }
    case 'stale':
      return style.yellow(`stale (left by pid ${lock.pid ?? '?'}; the next writer breaks it)`);
    default:
      return 'unknown';
  }
}

/** `inspect` as text. */
export function renderInspect(report: InspectReport, style: Style, verbose: boolean): string {
  const now = Date.now();
  const what = report.appName === null ? report.location.file : report.appName;
  const encrypted = report.encrypted ? style.green('encrypted') : style.yellow('PLAINTEXT');
  const lines = [
    style.bold(`msal-persist inspect: ${what}`),
    '',
    `  ${style.dim('backend'.padEnd(12))}${report.backend} (${KIND[report.backend]}, ${encrypted})`,
    ...locationLines(report.location, style, 12),
    `  ${style.dim('size'.padEnd(12))}${report.size === null ? 'nothing stored' : `${report.size} bytes`}`,
    `  ${style.dim('last change'.padEnd(12))}${report.lastChange ?? 'never'}`,
    `  ${style.dim('lock'.padEnd(12))}${lockLine(report.lock, style)}`,
  ];
  if (verbose && report.lock.description) lines.push(`  ${' '.repeat(12)}${style.dim(report.lock.description)}`);
  if (!report.readable) {
    lines.push('', style.red(`The stored cache is unreadable: ${report.problem ?? 'unknown reason'}.`));
    lines.push(
      'An app using it starts empty and keeps the bytes aside at its next save; `msal-persist clear` removes them.',
    );
  }
  lines.push('', style.bold(`${report.accounts.length} account(s)`));
  for (const account of report.accounts) {
    const label = account.username ?? account.homeAccountId;
    lines.push(`  ${style.bold(label)}${account.name ? ` (${account.name})` : ''}`);
    lines.push(`    home account id ${account.homeAccountId}`);
    if (account.tenants.length > 0) lines.push(`    tenants ${account.tenants.join(', ')}`);
    lines.push(`    ${accessLine(account.accessTokens, now)}`);
    const refreshExpiry = account.refreshTokens.expiresOn
      ? `, expiry ${when(account.refreshTokens.expiresOn, now)}`
      : '';
    lines.push(
      `    ${account.refreshTokens.count} refresh token(s)${refreshExpiry}; ${account.idTokens.count} id token(s)`,
    );
    for (const token of account.tokens ?? []) lines.push(`      ${style.dim(tokenLine(token, now))}`);
  }
  if (report.appTokens.length > 0) {
    lines.push('', style.bold(`${report.appTokens.length} app(s) with tokens of their own (client credentials)`));
    for (const app of report.appTokens) {
      lines.push(`  client ${app.clientId}: ${accessLine(app.accessTokens, now)}`);
      for (const token of app.tokens ?? []) lines.push(`      ${style.dim(tokenLine(token, now))}`);
    }
  }
  return lines.join('\n');
}

/** `clear` as text. */
export function renderClear(report: ClearReport, style: Style): string {
  const what = report.appName === null ? report.location.file : `the token cache of ${report.appName}`;
  if (!report.hadCache) return `Nothing stored: ${what} (${report.backend}) is empty.`;
  const removed = report.accountsRemoved.length;
  return [
    style.green(`Cleared ${what} (${report.backend}, ${report.location.item ?? report.location.file}).`),
    `${removed} account(s) signed out${removed > 0 ? `: ${report.accountsRemoved.join(', ')}` : ''}. Running processes of the app find the cache empty at their next token call.`,
  ].join('\n');
}
