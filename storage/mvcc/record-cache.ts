// A byte-bounded cache of recently written records, so that prevKv and reads of recent
// writes rarely touch disk. Eviction is first-in first-out (Map iteration order): reads do
// not reorder entries, which keeps large ranges from spending their time on bookkeeping.
export class RecordCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(id: string): Buffer | undefined {
    return this.entries.get(id);
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
