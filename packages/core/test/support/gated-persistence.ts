import { MemoryPersistence } from '../../src/index.js';
import { Gate } from './gate.js';

/**
 * A real MemoryPersistence whose next `load` or `save` can be held at a gate, to put a concurrent
 * call exactly where a race happens. A held load reads the bytes first, then waits (a load in
 * flight); a held save waits first, then writes (a save that has not landed yet).
 */
export class GatedPersistence extends MemoryPersistence {
  private loadGate: Gate | undefined;
  private saveGate: Gate | undefined;

  holdNextLoad(): Gate {
    this.loadGate = new Gate();
    return this.loadGate;
  }

  holdNextSave(): Gate {
    this.saveGate = new Gate();
    return this.saveGate;
  }

  override async load(): Promise<Uint8Array | null> {
    const data = await super.load();
    const gate = this.loadGate;
    this.loadGate = undefined;
    if (gate) await gate.pass();
    return data;
  }

  override async save(data: Uint8Array): Promise<string> {
    const gate = this.saveGate;
    this.saveGate = undefined;
    if (gate) await gate.pass();
    return super.save(data);
  }
}
