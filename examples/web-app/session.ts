// A session in a signed cookie (HMAC-SHA256): it works the same in every process behind the
// port, with nothing stored server-side. It holds the account's homeAccountId (never a token) and,
// during sign-in, the state and PKCE verifier. A real app may use express-session with a shared store.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

export interface Session {
  homeAccountId?: string;
  state?: string;
  verifier?: string;
}

const COOKIE = 'web-app-session';
const secret = process.env.SESSION_SECRET ?? 'offline-demo-session-secret';

function sign(payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/** The session the request's cookie carries, or an empty one when it has none or a forged one. */
export function readSession(req: Request): Session {
  const cookie = (req.get('cookie') ?? '')
    .split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${COOKIE}=`));
  const [payload = '', mac = ''] = (cookie?.slice(COOKIE.length + 1) ?? '').split('.');
  const expected = Buffer.from(sign(payload));
  if (!payload || expected.length !== Buffer.byteLength(mac) || !timingSafeEqual(expected, Buffer.from(mac))) return {};
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Session;
}

/** Replaces the session (an empty one clears the cookie). */
export function writeSession(res: Response, session: Session): void {
  if (Object.keys(session).length === 0) {
    res.clearCookie(COOKIE);
    return;
  }
  const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
  res.cookie(COOKIE, `${payload}.${sign(payload)}`, { httpOnly: true, sameSite: 'lax', path: '/' });
}
