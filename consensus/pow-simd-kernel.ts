// Generates the WebAssembly SIMD kernel of the nonce search: SHA-256d of the 118-byte header for four
// consecutive nonces at once (one per i32x4 lane), fully unrolled, as a filter that reports the first group
// of nonces in which some lane's first hash word is <= the target's first word (every hit passes it; the
// caller confirms a group with the reference search, pow.ts).
//
// The kernel is written as SHA-256 over an expression graph, not by hand: every value is a node that is a
// compile-time constant, `uniform` (the same for every nonce of a search: the midstate, the header words,
// the target) or `varying` (depends on the nonce). Building a node folds constants (the padding words,
// the second hash's initial state), merges identical expressions, and the emitter computes uniform nodes
// once before the loop. That is how the usual midstate optimisations fall out without special cases: the
// first 12 rounds of the first hash and the nonce-independent parts of its message schedule run once per
// call, and the second hash's constant padding folds into its schedule and first rounds.
import { HEADER_BYTES, NONCE_OFFSET } from '../protocol/block.ts';
import { IV, K } from './pow.ts';
import { EMPTY_BLOCK, encodeModule, FunctionBody, Op, Simd, ValType } from './pow-wasm.ts';

/** Word offsets of the per-search inputs in the kernel's memory (written by pow-simd.ts). */
export const Input = {
  /** The midstate: SHA-256 state after the header's first 64 bytes (8 words). */
  midstate: 0,
  /** Words 0..11 of the second message block (header bytes 64..111). */
  block: 8,
  /** Word 12 of the second block with its nonce half (the low 16 bits) zero. */
  word12High: 20,
  /** The target's most significant 32-bit word. */
  target0: 21,
} as const;

/** Nonces per lane group. */
export const LANES = 4;

// The layout below (nonce in bytes 50..53 of the second block, padding from byte 54) is this header's.
if (HEADER_BYTES !== 118 || NONCE_OFFSET !== 114)
  throw new Error('the SIMD kernel expects the 118-byte header');

type BinaryOp = 'add' | 'xor' | 'and' | 'or' | 'leU';
type NodeOp = 'const' | 'input' | 'nonce' | 'shl' | 'shr' | BinaryOp;

const BINARY_OPCODE: Record<BinaryOp, number> = {
  add: Simd.i32x4Add,
  xor: Simd.v128Xor,
  and: Simd.v128And,
  or: Simd.v128Or,
  leU: Simd.i32x4LeU,
};

/** A value of four u32 lanes. `value` is set for constants (the same in every lane). */
interface Node {
  readonly id: number;
  readonly op: NodeOp;
  readonly args: readonly Node[];
  /** Shift count or input word offset. */
  readonly imm: number;
  readonly value: number | undefined;
  readonly uniform: boolean;
}

const COMMUTATIVE = new Set<NodeOp>(['add', 'xor', 'and', 'or']);

function evaluate(op: NodeOp, a: number, b: number, imm: number): number {
  switch (op) {
    case 'add':
      return (a + b) >>> 0;
    case 'xor':
      return (a ^ b) >>> 0;
    case 'and':
      return (a & b) >>> 0;
    case 'or':
      return (a | b) >>> 0;
    case 'shl':
      return (a << imm) >>> 0;
    case 'shr':
      return a >>> imm;
    case 'leU':
      return a <= b ? 0xffffffff : 0;
    default:
      throw new Error(`cannot evaluate ${op}`);
  }
}

/** Hash-consed expression graph with constant folding. */
class Graph {
  readonly nodes: Node[] = [];
  private readonly byKey = new Map<string, Node>();

  private intern(op: NodeOp, args: Node[], imm: number, value?: number): Node {
    const key = `${op}/${imm}/${value ?? ''}/${args.map((a) => a.id).join(',')}`;
    let node = this.byKey.get(key);
    if (!node) {
      const uniform = op !== 'nonce' && args.every((a) => a.uniform);
      node = { id: this.nodes.length, op, args, imm, value, uniform };
      this.nodes.push(node);
      this.byKey.set(key, node);
    }
    return node;
  }

  constant(v: number): Node {
    return this.intern('const', [], 0, v >>> 0);
  }

  input(wordOffset: number): Node {
    return this.intern('input', [], wordOffset);
  }

  /** The lane group's nonces: n, n + 1, n + 2, n + 3. */
  nonce(): Node {
    return this.intern('nonce', [], 0);
  }

  binary(op: BinaryOp, a: Node, b: Node): Node {
    if (a.value !== undefined && b.value !== undefined)
      return this.constant(evaluate(op, a.value, b.value, 0));
    if (COMMUTATIVE.has(op)) {
      // Canonical order (so that a op b and b op a are one node): a constant first, else by id.
      if (b.value !== undefined || (a.value === undefined && a.id > b.id)) [a, b] = [b, a];
      if (a.value === 0 && op !== 'and') return b;
      if (a.value === 0 && op === 'and') return a;
      if (a.value === 0xffffffff && op === 'and') return b;
      if (a === b && op === 'xor') return this.constant(0);
      if (a === b && (op === 'and' || op === 'or')) return a;
    }
    return this.intern(op, [a, b], 0);
  }

  shift(op: 'shl' | 'shr', a: Node, count: number): Node {
    if (a.value !== undefined) return this.constant(evaluate(op, a.value, 0, count));
    return this.intern(op, [a], count);
  }

  /** The sum of `terms` mod 2^32: constants folded, then uniform terms, then varying ones (so the
   * nonce-independent part of a sum is one uniform node, computed before the loop). */
  sum(...terms: Node[]): Node {
    let constant = 0;
    const uniform: Node[] = [];
    const varying: Node[] = [];
    for (const t of terms) {
      if (t.value !== undefined) constant = (constant + t.value) >>> 0;
      else (t.uniform ? uniform : varying).push(t);
    }
    let acc = this.constant(constant);
    for (const t of [...uniform, ...varying]) acc = this.binary('add', acc, t);
    return acc;
  }
}

/** SHA-256 over graph nodes. */
class Sha256 {
  private readonly g: Graph;
  constructor(g: Graph) {
    this.g = g;
  }
  private rotr(x: Node, n: number): Node {
    return this.g.binary('or', this.g.shift('shr', x, n), this.g.shift('shl', x, 32 - n));
  }
  private xor3(a: Node, b: Node, c: Node): Node {
    return this.g.binary('xor', this.g.binary('xor', a, b), c);
  }
  private bigSigma0 = (a: Node) => this.xor3(this.rotr(a, 2), this.rotr(a, 13), this.rotr(a, 22));
  private bigSigma1 = (e: Node) => this.xor3(this.rotr(e, 6), this.rotr(e, 11), this.rotr(e, 25));
  private sigma0 = (w: Node) => this.xor3(this.rotr(w, 7), this.rotr(w, 18), this.g.shift('shr', w, 3));
  private sigma1 = (w: Node) => this.xor3(this.rotr(w, 17), this.rotr(w, 19), this.g.shift('shr', w, 10));
  // ch = g ^ (e & (f ^ g)); maj = b ^ ((a ^ b) & (b ^ c)): this round's b ^ c is the last round's a ^ b,
  // which the graph merges.
  private ch = (e: Node, f: Node, g: Node) =>
    this.g.binary('xor', g, this.g.binary('and', e, this.g.binary('xor', f, g)));
  private maj = (a: Node, b: Node, c: Node) =>
    this.g.binary('xor', b, this.g.binary('and', this.g.binary('xor', a, b), this.g.binary('xor', b, c)));

  /** One compression: `state` + the 64 rounds over `block` (16 words). Returns the new state. */
  compress(state: readonly Node[], block: readonly Node[]): Node[] {
    const w = [...block];
    for (let t = 16; t < 64; t++)
      w.push(this.g.sum(this.sigma1(w[t - 2]!), w[t - 7]!, this.sigma0(w[t - 15]!), w[t - 16]!));
    let [a, b, c, d, e, f, g, h] = state as [Node, Node, Node, Node, Node, Node, Node, Node];
    for (let t = 0; t < 64; t++) {
      const t1 = this.g.sum(h, this.bigSigma1(e), this.ch(e, f, g), this.g.constant(K[t]!), w[t]!);
      const t2 = this.g.binary('add', this.bigSigma0(a), this.maj(a, b, c));
      [h, g, f, e, d, c, b, a] = [
        g,
        f,
        e,
        this.g.binary('add', d, t1),
        c,
        b,
        a,
        this.g.binary('add', t1, t2),
      ];
    }
    return [a, b, c, d, e, f, g, h].map((v, i) => this.g.binary('add', state[i]!, v));
  }
}

/**
 * The candidate test for one lane group: all-ones in a lane whose SHA-256d has a first word <= the
 * target's. The header's second block is words 0..11 and the high half of word 12 from the input, the
 * nonce across words 12 and 13, then the padding (0x80 at byte 54, the bit length 944 in word 15).
 */
function candidateTest(g: Graph): Node {
  const sha = new Sha256(g);
  const nonce = g.nonce();
  const block = Array.from({ length: 12 }, (_, i) => g.input(Input.block + i));
  block.push(g.binary('or', g.input(Input.word12High), g.shift('shr', nonce, 16)));
  block.push(g.binary('or', g.shift('shl', nonce, 16), g.constant(0x8000)));
  block.push(g.constant(0), g.constant(HEADER_BYTES * 8));
  const midstate = Array.from({ length: 8 }, (_, i) => g.input(Input.midstate + i));
  const first = sha.compress(midstate, block);
  const padding = [0x80000000, 0, 0, 0, 0, 0, 0, 256].map((v) => g.constant(v));
  const second = sha.compress(
    [...IV].map((v) => g.constant(v)),
    [...first, ...padding],
  );
  return g.binary('leU', second[0]!, g.input(Input.target0));
}

/** The candidate test's graph: the nodes it needs (by id) and how often each is used. */
function liveGraph(): { test: Node; live: Node[]; uses: Map<Node, number> } {
  const test = candidateTest(new Graph());
  const uses = new Map<Node, number>();
  const stack = [test];
  while (stack.length) {
    const n = stack.pop()!;
    const seen = uses.has(n);
    uses.set(n, (uses.get(n) ?? 0) + 1);
    if (!seen) stack.push(...n.args);
  }
  return { test, live: [...uses.keys()].sort((x, y) => x.id - y.id), uses };
}

/** What the kernel computes, for tests: live operations before the loop (uniform) and in it (varying),
 * and how many of them folding should have removed (an operation on constants only, or an identity
 * such as x + 0 or x & ~0). */
export function kernelShape(): { uniform: number; varying: number; unfolded: number } {
  const { live } = liveGraph();
  const ops = live.filter((n) => n.args.length > 0);
  const identity = (n: Node) =>
    n.args.some(
      (a) => a.value === 0 || (a.value === 0xffffffff && n.op === 'and') || n.args.every((b) => b === a),
    );
  return {
    uniform: ops.filter((n) => n.uniform).length,
    varying: ops.filter((n) => !n.uniform).length,
    unfolded: ops.filter(
      (n) => n.args.every((a) => a.value !== undefined) || (COMMUTATIVE.has(n.op) && identity(n)),
    ).length,
  };
}

/**
 * Emits `search(start: i32, groups: i32) -> i32`: tests lane groups start + LANES·k for k = 0, 1, …,
 * groups - 1 (nonces wrap mod 2^32) and returns the first k with a candidate, or -1.
 */
function searchFunction(): FunctionBody {
  const { test, live, uses } = liveGraph();
  const usedByVarying = new Set<Node>();
  for (const n of live) if (!n.uniform) for (const a of n.args) usedByVarying.add(a);
  // A node gets a local if it is used more than once, or is uniform and used in the loop (computed once,
  // before it); every other node is emitted inline at its one use.
  const needsLocal = (n: Node) =>
    n !== test && (n.op === 'nonce' || uses.get(n)! > 1 || (n.uniform && usedByVarying.has(n)));

  const f = new FunctionBody([ValType.i32, ValType.i32], [ValType.i32]);
  const [START, GROUPS] = [0, 1];
  const step = f.local(ValType.i32);
  const base = f.local(ValType.i32);
  const locals = new Map<Node, number>();
  for (const n of live) if (needsLocal(n)) locals.set(n, f.local(ValType.v128));

  const emit = (n: Node, defining = false): void => {
    const local = locals.get(n);
    if (local !== undefined && !defining) {
      f.get(local);
      return;
    }
    switch (n.op) {
      case 'const':
        f.v128Const([n.value!, n.value!, n.value!, n.value!]);
        return;
      case 'input':
        f.i32Const(0).simd(Simd.v128Load32Splat, ...FunctionBody.memarg(2, 4 * n.imm));
        return;
      case 'nonce':
        f.get(base).simd(Simd.i32x4Splat).v128Const([0, 1, 2, 3]).simd(Simd.i32x4Add);
        return;
      case 'shl':
      case 'shr':
        emit(n.args[0]!);
        f.i32Const(n.imm).simd(n.op === 'shl' ? Simd.i32x4Shl : Simd.i32x4ShrU);
        return;
      default:
        emit(n.args[0]!);
        emit(n.args[1]!);
        f.simd(BINARY_OPCODE[n.op]);
    }
  };
  const define = (n: Node) => {
    emit(n, true);
    f.set(locals.get(n)!);
  };

  // Before the loop: everything that does not depend on the nonce.
  for (const n of live) if (n.uniform && locals.has(n)) define(n);
  f.i32Const(0).set(step);
  f.op(Op.block, EMPTY_BLOCK, Op.loop, EMPTY_BLOCK);
  f.get(step).get(GROUPS).op(Op.i32GeU, Op.brIf, 1);
  // base = start + LANES · step (LANES is 4: shift by 2)
  f.get(START).get(step).i32Const(2).op(Op.i32Shl, Op.i32Add).set(base);
  for (const n of live) if (!n.uniform && locals.has(n)) define(n);
  emit(test);
  f.simd(Simd.v128AnyTrue).op(Op.if, EMPTY_BLOCK).get(step).op(Op.return, Op.end);
  f.get(step).i32Const(1).op(Op.i32Add).set(step);
  f.op(Op.br, 0, Op.end, Op.end);
  f.i32Const(-1);
  return f;
}

/** Module bytes with `memory` (inputs at word offsets `Input`) and `search` over groups of LANES nonces. */
export function buildSearchModule(): Uint8Array<ArrayBuffer> {
  return encodeModule({ functions: { search: searchFunction() }, memoryPages: 1 });
}
