import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  MerkleAccumulator,
  consistencyProof,
  inclusionProof,
  leafHash,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from '../../../control-plane/src/audit/merkle.ts';

// The RFC 6962 reference test vectors (certificate-transparency / transparency-dev merkle testonly):
// eight leaf inputs and the roots of the trees over their first 1..8 entries.
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const INCLUSION: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];
const CONSISTENCY: { from: number; to: number; proof: string[] }[] = [
  { from: 1, to: 1, proof: [] },
  {
    from: 1,
    to: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    from: 6,
    to: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    from: 2,
    to: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

const hashes: Hash[] = LEAVES.map((hex) => leafHash(Buffer.from(hex, 'hex')));
const root = (size: number): Hash => Buffer.from(ROOTS[size - 1] as string, 'hex');
const hex = (list: Hash[]): string[] => list.map((h) => h.toString('hex'));
const unhex = (list: string[]): Hash[] => list.map((h) => Buffer.from(h, 'hex'));

describe('RFC 6962 tree hashes', () => {
  it('matches the reference roots for sizes 0..8, recursively and incrementally', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const acc = new MerkleAccumulator();
    expect(acc.root()).toEqual(EMPTY_ROOT);
    for (let size = 1; size <= 8; size += 1) {
      acc.push(hashes[size - 1] as Hash);
      expect(rootFromLeafHashes(hashes, 0, size).toString('hex')).toBe(ROOTS[size - 1]);
      expect(acc.root().toString('hex')).toBe(ROOTS[size - 1]);
    }
  });
});

describe('inclusion proofs', () => {
  it.each(INCLUSION)('produces and verifies the reference proof for leaf $index of $size', ({ index, size, proof }) => {
    expect(hex(inclusionProof(hashes, index, size))).toEqual(proof);
    expect(verifyInclusion(hashes[index] as Hash, index, size, unhex(proof), root(size))).toBe(true);
  });

  it('verifies every leaf of every size up to 8', () => {
    for (let size = 1; size <= 8; size += 1) {
      for (let index = 0; index < size; index += 1) {
        expect(verifyInclusion(hashes[index] as Hash, index, size, inclusionProof(hashes, index, size), root(size))).toBe(true);
      }
    }
  });

  it('rejects wrong proofs', () => {
    const good = unhex((INCLUSION[2] as { proof: string[] }).proof);
    const leaf = hashes[5] as Hash;
    const flipped = good.map((h, i) => (i === 1 ? Buffer.from(h.map((b, j) => (j === 0 ? b ^ 1 : b))) : h));
    expect(verifyInclusion(leaf, 5, 8, flipped, root(8))).toBe(false);
    expect(verifyInclusion(leaf, 4, 8, good, root(8))).toBe(false);
    expect(verifyInclusion(leaf, 5, 7, good, root(7))).toBe(false);
    expect(verifyInclusion(leaf, 5, 8, good.slice(0, 2), root(8))).toBe(false);
    expect(verifyInclusion(leaf, 5, 8, [...good, good[0] as Hash], root(8))).toBe(false);
    expect(verifyInclusion(leaf, 8, 8, good, root(8))).toBe(false);
    // Same hashing steps as the real proof, but the claimed tree is larger: only the final sn == 0 check catches it.
    expect(verifyInclusion(leaf, 5, 16, good, root(8))).toBe(false);
    expect(verifyInclusion(hashes[4] as Hash, 5, 8, good, root(8))).toBe(false);
    // The leaf's own hash as its proof must not verify a one-leaf tree that is not that leaf.
    expect(verifyInclusion(leaf, 0, 1, [], root(1))).toBe(false);
  });
});

describe('consistency proofs', () => {
  it.each(CONSISTENCY)('produces and verifies the reference proof $from -> $to', ({ from, to, proof }) => {
    expect(hex(consistencyProof(hashes, from, to))).toEqual(proof);
    expect(verifyConsistency(from, to, unhex(proof), root(from), root(to))).toBe(true);
  });

  it('verifies every pair of sizes up to 8', () => {
    for (let n = 1; n <= 8; n += 1) {
      for (let m = 1; m <= n; m += 1) {
        expect(verifyConsistency(m, n, consistencyProof(hashes, m, n), root(m), root(n))).toBe(true);
      }
    }
  });

  it('rejects wrong proofs, including ones that only pass when the final sn == 0 check is skipped', () => {
    const proof = unhex((CONSISTENCY[2] as { proof: string[] }).proof);
    expect(verifyConsistency(6, 8, proof, root(6), root(7))).toBe(false);
    expect(verifyConsistency(6, 8, proof, root(5), root(8))).toBe(false);
    expect(verifyConsistency(6, 8, proof.slice(0, 2), root(6), root(8))).toBe(false);
    expect(verifyConsistency(6, 8, [...proof, proof[0] as Hash], root(6), root(8))).toBe(false);
    expect(verifyConsistency(8, 6, proof, root(8), root(6))).toBe(false);
    expect(verifyConsistency(6, 8, [], root(6), root(8))).toBe(false);
    expect(verifyConsistency(8, 8, [root(8)], root(8), root(8))).toBe(false);
    // Claims a larger new tree than the proof covers: the path is exhausted before sn reaches 0.
    expect(verifyConsistency(6, 16, proof, root(6), root(8))).toBe(false);
  });
});
