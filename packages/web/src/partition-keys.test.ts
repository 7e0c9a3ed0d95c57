import { describe, expect, it } from 'vitest';
import { appPartitionKey, oboPartitionKey, userPartitionKey } from './partition-keys.js';

describe('partition keys', () => {
  it('on-behalf-of: a SHA-256 of the assertion, never the assertion; the same token gives the same key', () => {
    const token = 'eyJhbGciOiJub25lIn0.eyJvaWQiOiJ4In0.';
    const key = oboPartitionKey('client', token);
    expect(key).toMatch(/^obo:client:[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain('eyJ');
    expect(oboPartitionKey('client', token)).toBe(key);
    expect(oboPartitionKey('client', `${token}x`)).not.toBe(key);
  });

  it('each flow and each client has its own key space', () => {
    expect(userPartitionKey('a', 'uid.utid')).toBe('user:a:uid.utid');
    expect(userPartitionKey('b', 'uid.utid')).not.toBe(userPartitionKey('a', 'uid.utid'));
    expect(appPartitionKey('a', 'tenant')).toBe('app:a:tenant');
    expect(appPartitionKey('a', 'tenant', 'https://graph.microsoft.com')).toBe(
      'app:a:tenant:https://graph.microsoft.com',
    );
  });

  it('empty parts: TypeError', () => {
    expect(() => userPartitionKey('', 'x')).toThrow(TypeError);
    expect(() => userPartitionKey('a', '')).toThrow(TypeError);
    expect(() => oboPartitionKey('a', '')).toThrow(TypeError);
    expect(() => appPartitionKey('a', '')).toThrow(TypeError);
  });
});
