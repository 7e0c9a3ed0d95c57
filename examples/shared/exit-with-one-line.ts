// What the examples do with an error they expect (the cache cannot be opened or written, the
// identity provider refused): one line on stderr saying why and what to do, exit code 1, no stack.
// Anything else is a bug in the example and keeps its stack.
import { isPersistenceError } from '@msal-persist/msal-plugin';

/** msal-node's AuthError and @azure/identity's errors: the identity provider or the config said no. */
function isAuthError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  return (
    'errorCode' in error ||
    ['AuthenticationError', 'AggregateAuthenticationError', 'CredentialUnavailableError'].includes(error.name)
  );
}

/** The first PersistenceError in the error or its causes (msal and @azure/identity may wrap it). */
function persistenceErrorIn(error: unknown): Error | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (isPersistenceError(current)) return current;
  }
  return undefined;
}

/**
 * Ends the example with one line for an expected failure; rethrows anything else.
 *
 * @example
 * ```ts
 * main().catch(exitWithOneLine('public-cli'));
 * ```
 */
export function exitWithOneLine(program: string): (error: unknown) => void {
  return (error) => {
    const persistence = persistenceErrorIn(error);
    if (persistence) {
      const { code } = persistence as Error & { code: string };
      const optIn = /allowPlaintextFallback|unsafeAllowUnencryptedStorage/.test(persistence.message)
        ? ' In these examples: ALLOW_PLAINTEXT=1.'
        : '';
      console.error(`${program}: the token cache failed (${code}): ${persistence.message}${optIn}`);
    } else if (isAuthError(error)) {
      console.error(`${program}: sign-in failed: ${error.name}: ${error.message.split('\n')[0]}`);
    } else {
      throw error;
    }
    process.exitCode = 1;
  };
}
