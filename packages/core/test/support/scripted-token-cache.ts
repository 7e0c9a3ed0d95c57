import type { CacheContext, SerializableTokenCache } from '../../src/index.js';

/** A scripted msal token cache: like msal, deserialize stores the snapshot before parsing it. */
export class ScriptedTokenCache implements SerializableTokenCache {
  snapshot = '';
  state: Record<string, unknown> = {};
  readonly deserialized: string[] = [];
  serialize(): string {
    return JSON.stringify(this.state);
  }
  deserialize(cache: string): void {
    this.snapshot = cache;
    this.deserialized.push(cache);
    this.state = JSON.parse(cache) as Record<string, unknown>;
  }
}

export const read = (tokenCache: SerializableTokenCache): CacheContext => ({ cacheHasChanged: false, tokenCache });
export const write = (tokenCache: SerializableTokenCache): CacheContext => ({ cacheHasChanged: true, tokenCache });

/** The stored bytes as text ('' when nothing is stored). */
export async function storedText(persistence: { load(): Promise<Uint8Array | null> }): Promise<string> {
  return new TextDecoder().decode((await persistence.load()) ?? new Uint8Array());
}
