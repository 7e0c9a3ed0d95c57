import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type BytesCodec, PersistenceError } from '@msal-persist/core';

/** Real AES-256-GCM with a key held in this process: an encrypting codec for tests of the folder store. */
export class AesTestCodec implements BytesCodec {
  readonly name = 'aes-256-gcm (test key)';
  readonly isEncrypted = true;
  decodes = 0;
  constructor(private readonly key: Uint8Array = randomBytes(32)) {}

  async encode(plain: Uint8Array): Promise<Uint8Array> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  async decode(stored: Uint8Array): Promise<Uint8Array> {
    this.decodes++;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, stored.subarray(0, 12));
      decipher.setAuthTag(stored.subarray(12, 28));
      return Buffer.concat([decipher.update(stored.subarray(28)), decipher.final()]);
    } catch (cause) {
      throw new PersistenceError('Corrupt', 'Does not decrypt with the test key.', { backend: this.name, cause });
    }
  }
}
