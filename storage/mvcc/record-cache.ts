// A byte-bounded LRU of recently written or read records, so that prevKv and reads of hot
// keys rarely touch disk. Map iteration order is insertion order: the first entry is the
// least recently used.
export class RecordCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(id: string): Buffer | undefined {
    const v = this.entries.get(id);
    if (v) {
      this.entries.delete(id);
      this.entries.set(id, v);
    }
    return v;
  }

  set(id: string, value: Buffer): void {
    this.delete(id);
    if (value.length > this.maxBytes / 16) return; // huge records would evict everything else
    this.entries.set(id, value);
    this.bytes += value.length + id.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.length + k.length;
    }
  }

  delete(id: string): void {
    const v = this.entries.get(id);
    if (!v) return;
    this.entries.delete(id);
    this.bytes -= v.length + id.length;
  }
}
