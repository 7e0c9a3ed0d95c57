import { promises as fsp } from 'node:fs';
import { FilePersistence, type FilePersistenceOptions } from './file-persistence.js';
import type { PartitionCodec } from './partition-codec.js';

/**
 * A folder store partition's file: `FilePersistence` through its {@link PartitionCodec}, except that
 * content nothing can ever decrypt (its key is provably gone, e.g. a kernel-keyring key after a
 * reboot) is deleted instead of kept aside: after a reboot every partition is in that state, and
 * thousands of useless copies would sit in the folder until the sweep's aside window.
 */
export class PartitionPersistence extends FilePersistence {
  private readonly partitionCodec: PartitionCodec;

  constructor(path: string, options: FilePersistenceOptions & { codec: PartitionCodec }) {
    super(path, options);
    this.partitionCodec = options.codec;
  }

  override async keepAside(): Promise<string | undefined> {
    const stored = await fsp.readFile(this.path).catch(() => undefined);
    if (stored && (await this.partitionCodec.isUnrecoverable(stored).catch(() => false))) {
      await this.delete();
      return undefined;
    }
    return super.keepAside();
  }
}
