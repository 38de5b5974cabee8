/** A small seeded PRNG (sfc32, seeded through splitmix32) so request streams are reproducible. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** uniform in [0, 1) */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  /** integer in [min, max] (inclusive) */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** index into `cumulative` (ascending, last = 1) */
  weighted(cumulative: readonly number[]): number {
    const r = this.next();
    for (let i = 0; i < cumulative.length; i++) if (r < cumulative[i]!) return i;
    return cumulative.length - 1;
  }
}

/** Weights → ascending cumulative shares; from the last positive weight on they are exactly 1. */
export function cumulativeWeights(weights: readonly number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  let acc = 0;
  const out = weights.map((w) => (acc += w / total));
  let last = weights.length - 1;
  while (last > 0 && !(weights[last]! > 0)) last--;
  for (let i = Math.max(0, last); i < out.length; i++) out[i] = 1;
  return out;
}
