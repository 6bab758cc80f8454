import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MerkleAccumulator,
  consistencyProof,
  inclusionProof,
  leafHash,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from '../../../control-plane/src/audit/merkle.ts';

/** Entries of a log: arbitrary byte strings (the store's leaves are canonical JSON, but the tree must not care). */
const entries = (minLength: number) => fc.array(fc.uint8Array({ maxLength: 48 }), { minLength, maxLength: 70 });

const hashesOf = (log: readonly Uint8Array[]): Hash[] => log.map((entry) => leafHash(entry));
const rootOf = (log: readonly Uint8Array[]): Hash => rootFromLeafHashes(hashesOf(log));
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
/** Entries made unique by their position, as real log entries are (each carries its own event id). */
const distinct = (log: readonly Uint8Array[]): Uint8Array[] => log.map((entry, i) => Uint8Array.from([i, ...entry]));

/** A copy of `hash` with one bit flipped. */
function flipBit(hash: Hash, bit: number): Hash {
  const copy = Buffer.from(hash);
  const at = Math.floor(bit / 8) % copy.length;
  copy.writeUInt8((copy.readUInt8(at) ^ (1 << (bit % 8))) & 0xff, at);
  return copy;
}

describe('Merkle log properties (RFC 9162 §2.1)', () => {
  it('any append sequence verifies: the incremental root equals MTH, and every prefix is consistent with the whole', () => {
    fc.assert(
      fc.property(entries(0), (log) => {
        const leaves = hashesOf(log);
        const accumulator = new MerkleAccumulator();
        const roots: Hash[] = [rootFromLeafHashes(leaves, 0, 0)];
        for (const leaf of leaves) {
          accumulator.push(leaf);
          roots.push(accumulator.root());
        }
        expect(accumulator.root().equals(rootFromLeafHashes(leaves))).toBe(true);
        for (let m = 0; m <= leaves.length; m += 1) {
          expect(roots[m]?.equals(rootFromLeafHashes(leaves, 0, m))).toBe(true);
          const proof = consistencyProof(leaves, m, leaves.length);
          expect(verifyConsistency(m, leaves.length, proof, roots[m] as Hash, roots[leaves.length] as Hash)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('every entry has an inclusion proof that verifies against the root, for random sizes', () => {
    fc.assert(
      fc.property(entries(1), fc.nat(), fc.nat(), (log, sizePick, indexPick) => {
        const leaves = hashesOf(log);
        const size = 1 + (sizePick % leaves.length);
        const index = indexPick % size;
        const root = rootFromLeafHashes(leaves, 0, size);
        expect(verifyInclusion(leaves[index] as Hash, index, size, inclusionProof(leaves, index, size), root)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a changed byte in any entry changes the root and breaks that entry’s old inclusion proof', () => {
    fc.assert(
      fc.property(entries(1), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (log, entryPick, bytePick, xor) => {
        const target = entryPick % log.length;
        const original = log[target] as Uint8Array;
        const changed = original.length === 0 ? Uint8Array.of(xor) : Uint8Array.from(original);
        if (original.length > 0) {
          const at = bytePick % original.length;
          changed[at] = (original[at] as number) ^ xor;
        }
        const tampered = log.map((entry, i) => (i === target ? changed : entry));
        const root = rootOf(log);
        expect(rootOf(tampered).equals(root)).toBe(false);
        const proof = inclusionProof(hashesOf(log), target, log.length);
        expect(verifyInclusion(leafHash(changed), target, log.length, proof, root)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('dropping any entry is detected: the shorter log neither has the same root nor a valid consistency proof of the old tree', () => {
    fc.assert(
      fc.property(entries(2), fc.nat(), (log, pick) => {
        const dropped = pick % log.length;
        const tampered = log.filter((_, i) => i !== dropped);
        const oldRoot = rootOf(log);
        expect(rootOf(tampered).equals(oldRoot)).toBe(false);
        // Appending one more entry must not let the rewritten log pass as an extension of the old one.
        const regrown = [...tampered, Uint8Array.of(0xee)];
        const regrownLeaves = hashesOf(regrown);
        const proof = consistencyProof(regrownLeaves, log.length - 1, regrown.length);
        expect(verifyConsistency(log.length, regrown.length, proof, oldRoot, rootFromLeafHashes(regrownLeaves))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('swapping two different entries changes the root', () => {
    fc.assert(
      fc.property(entries(2), fc.nat(), fc.nat(), (log, a, b) => {
        const i = a % log.length;
        const j = b % log.length;
        fc.pre(i !== j && !sameBytes(log[i] as Uint8Array, log[j] as Uint8Array));
        const swapped: Uint8Array[] = [...log];
        [swapped[i], swapped[j]] = [log[j] as Uint8Array, log[i] as Uint8Array];
        expect(rootOf(swapped).equals(rootOf(log))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('any flipped bit in an inclusion proof, a wrong index or a flipped root is refused', () => {
    fc.assert(
      fc.property(entries(2), fc.nat(), fc.nat(), fc.nat(), (log, indexPick, elementPick, bit) => {
        const leaves = hashesOf(distinct(log));
        const size = leaves.length;
        const index = indexPick % size;
        const root = rootFromLeafHashes(leaves);
        const proof = inclusionProof(leaves, index, size);
        const leaf = leaves[index] as Hash;
        if (proof.length > 0) {
          const at = elementPick % proof.length;
          const bad = proof.map((p, k) => (k === at ? flipBit(p, bit) : p));
          expect(verifyInclusion(leaf, index, size, bad, root)).toBe(false);
        }
        expect(verifyInclusion(leaf, (index + 1) % size, size, proof, root)).toBe(false);
        expect(verifyInclusion(leaf, index, size, proof, flipBit(root, bit))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('any flipped bit in a consistency proof or either root is refused', () => {
    fc.assert(
      fc.property(entries(2), fc.nat(), fc.nat(), fc.nat(), fc.nat(), (log, mPick, elementPick, bit, which) => {
        const leaves = hashesOf(distinct(log));
        const n = leaves.length;
        const m = 1 + (mPick % (n - 1));
        const oldRoot = rootFromLeafHashes(leaves, 0, m);
        const newRoot = rootFromLeafHashes(leaves);
        const proof = consistencyProof(leaves, m, n);
        const at = elementPick % (proof.length + 2);
        const badProof = at < proof.length ? proof.map((p, k) => (k === at ? flipBit(p, bit) : p)) : proof;
        const badOld = at === proof.length ? flipBit(oldRoot, bit) : oldRoot;
        const badNew = at === proof.length + 1 ? flipBit(newRoot, bit) : newRoot;
        expect(verifyConsistency(m, n, badProof, badOld, badNew)).toBe(false);
        // The same proof does not vouch for other sizes.
        if (which % 2 === 0 && m + 1 < n) expect(verifyConsistency(m + 1, n, proof, rootFromLeafHashes(leaves, 0, m + 1), newRoot)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
