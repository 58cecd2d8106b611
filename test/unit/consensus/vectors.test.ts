import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { genesisBlock, parseChainParams } from '../../../consensus/genesis.ts';
import { decodeHeader, encodeHeader, headerHash } from '../../../protocol/block.ts';
import { fromHex, toHex, utf8 } from '../../../protocol/bytes.ts';
import { type AsertParams, bitsToTarget, nextBits, targetToBits } from '../../../protocol/difficulty.ts';
import { sha256 } from '../../../protocol/hash.ts';
import { keyPairFromSecret, verifyFast, verifyNoble } from '../../../protocol/keys.ts';
import { merkleLeaf, merkleRoot } from '../../../protocol/merkle.ts';
import { decodeTx, encodeTx, sighashPreimage, txHash } from '../../../protocol/tx.ts';

const V = JSON.parse(readFileSync(new URL('../../vectors/protocol.json', import.meta.url), 'utf8'));
const protocolDoc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');

describe('protocol vectors (test/vectors/protocol.json, quoted in docs/protocol.md)', () => {
  it('derives the key and address', () => {
    const k = keyPairFromSecret(fromHex(V.key.secretKey));
    expect(toHex(k.publicKey)).toBe(V.key.publicKey);
    expect(k.address).toBe(V.key.address);
    expect(toHex(sha256(k.publicKey).slice(0, 20))).toBe(V.key.address.slice(2));
  });

  it('decodes, re-encodes, hashes and verifies the transaction', () => {
    const tx = decodeTx(fromHex(V.tx.txHex));
    expect(toHex(encodeTx(tx))).toBe(V.tx.txHex);
    expect(toHex(txHash(tx))).toBe(V.tx.txHash);
    const domain = { chainId: V.tx.domain.chainId, genesisHash: fromHex(V.tx.domain.genesisHash) };
    const pre = sighashPreimage(tx, domain);
    expect(toHex(pre)).toBe(V.tx.sighashPreimageHex);
    expect(toHex(sha256(pre))).toBe(V.tx.sighash);
    expect(V.tx.txHex).toBe(V.tx.unsignedHex + V.tx.signature);
    expect(verifyNoble(tx.signature, pre, tx.senderPubKey)).toBe(true);
    expect(verifyFast(tx.signature, pre, tx.senderPubKey)).toBe(true);
    expect(
      verifyFast(
        tx.signature,
        sighashPreimage(tx, { ...domain, chainId: domain.chainId + 1 }),
        tx.senderPubKey,
      ),
    ).toBe(false);
  });

  it('decodes and hashes the header', () => {
    const h = decodeHeader(fromHex(V.header.headerHex));
    expect(h).toMatchObject({
      version: 1,
      height: 42,
      timestamp: 1_795_564_800_123,
      bits: 0x1e08637b,
      nonce: 0xdeadbeef,
    });
    expect(toHex(encodeHeader(h))).toBe(V.header.headerHex);
    expect(toHex(headerHash(h))).toBe(V.header.hash);
    expect(toHex(h.txRoot)).toBe(V.header.txRoot);
  });

  it('gives genesis.json its documented hash', () => {
    const g = genesisBlock(
      parseChainParams(JSON.parse(readFileSync(new URL('../../../genesis.json', import.meta.url), 'utf8'))),
    );
    expect(toHex(g.hash)).toBe(V.genesisJson.hash);
    expect(toHex(encodeHeader(g.block.header))).toBe(V.genesisJson.headerHex);
  });

  it('quotes every vector in docs/protocol.md', () => {
    const hexes = [
      V.key.publicKey,
      V.key.address,
      V.tx.txHex,
      V.tx.txHash,
      V.tx.sighash,
      V.header.headerHex,
      V.header.hash,
      V.state.emptyRoot,
      V.genesisJson.hash,
    ];
    for (const h of hexes) expect(protocolDoc, `docs/protocol.md should quote ${h}`).toContain(h);
  });
});

describe('independent vectors', () => {
  it('secp256k1: secret key 1 gives the generator point', () => {
    const one = new Uint8Array(32);
    one[31] = 1;
    expect(toHex(keyPairFromSecret(one).publicKey)).toBe(
      '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798',
    );
  });

  it('Merkle roots equal RFC 6962 / Certificate Transparency reference tree heads', () => {
    const leaves = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ].map((h) => merkleLeaf(fromHex(h)));
    const roots = [
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];
    for (let n = 0; n <= 8; n++) expect(toHex(merkleRoot(leaves.slice(0, n))), `size ${n}`).toBe(roots[n]);
    // [a, b, c] and [a, b, c, c] differ (no duplication of the odd node).
    expect(toHex(merkleRoot([leaves[1]!, leaves[2]!, leaves[3]!]))).not.toBe(
      toHex(merkleRoot([leaves[1]!, leaves[2]!, leaves[3]!, leaves[3]!])),
    );
  });

  it('compact targets follow Bitcoin nBits', () => {
    expect(bitsToTarget(0x1d00ffff)).toBe(0xffffn << 208n);
    expect(bitsToTarget(0x05009234)).toBe(0x92340000n);
    expect(bitsToTarget(0x04923456)).toBeNull(); // negative
    expect(bitsToTarget(0x01003456)).toBeNull(); // zero
    expect(targetToBits(0xffffn << 208n)).toBe(0x1d00ffff);
    expect(targetToBits(0x80n)).toBe(0x02008000);
    for (const bits of [0x1d00ffff, 0x1b0404cb, 0x2000ffff, 0x1e08637b, 0x01010000])
      expect(targetToBits(bitsToTarget(bits)!)).toBe(bits);
  });

  // Bitcoin Cash's published aserti3-2d test vectors (runs 3, 5 and 9 of the reference set; BCH
  // parameters: 600 s blocks, two-day half-life, pow limit 0x1d00ffff). Columns: height, time, next bits.
  const bch = (anchorHeight: number, anchorParentTime: number, anchorBits: number): AsertParams => ({
    anchorBits,
    anchorHeight,
    anchorParentTime,
    blockTimeMs: 600,
    halfLifeMs: 172_800,
    powLimitBits: 0x1d00ffff,
  });
  it('aserti3-2d matches the Bitcoin Cash reference vectors', () => {
    const run3 = bch(1, 0, 0x01010000);
    for (let h = 2; h <= 11; h++) expect(nextBits(run3, h, 600 * h)).toBe(0x01010000);
    const run5 = bch(1, 0, 0x1d00ffff);
    const rows5: [number, number][] = [
      [2, 0x1d00fec5],
      [290, 0x1c7f62c0],
      [578, 0x1c3fb160],
      [866, 0x1c1fd8b0],
      [2306, 0x1c00fec5],
      [9218, 0x1900fec5],
      [30242, 0x0f7f62c0],
      [60194, 0x027f6200],
      [62498, 0x017f0000],
      [64226, 0x01010000],
      [64514, 0x01010000],
    ];
    for (const [h, bits] of rows5) expect(nextBits(run5, h, 0), `run5 height ${h}`).toBe(bits);
    const run9 = bch(2147483642, 1234567290, 0x1802aee8);
    const rows9: [number, number, number][] = [
      [2147483643, 1234568190, 0x1802ae16],
      [2147483644, 1234568490, 0x1802ad44],
      [2147483645, 1234568790, 0x1802ac71],
      [2147483647, 1234569390, 0x1802aacd],
      [2147483648, 1234569690, 0x1802a9fa],
      [2147483652, 1234570890, 0x1802a6b7],
    ];
    for (const [h, t, bits] of rows9) expect(nextBits(run9, h, t), `run9 height ${h}`).toBe(bits);
  });

  it('aserti3-2d: blocks on schedule keep the target, fast blocks raise difficulty, slow ones lower it', () => {
    const p: AsertParams = {
      anchorBits: 0x1e08637b,
      anchorHeight: 0,
      anchorParentTime: -2000,
      blockTimeMs: 2000,
      halfLifeMs: 120_000,
      powLimitBits: 0x2000ffff,
    };
    expect(nextBits(p, 10, 20_000)).toBe(0x1e08637b);
    const t = (bits: number) => bitsToTarget(bits)!;
    expect(t(nextBits(p, 10, 10_000))).toBeLessThan(t(0x1e08637b));
    expect(t(nextBits(p, 10, 30_000))).toBeGreaterThan(t(0x1e08637b));
    // One half-life late: the target doubles (within compact rounding).
    const doubled = t(nextBits(p, 10, 20_000 + 120_000));
    expect((doubled * 1000n) / (2n * t(0x1e08637b))).toBeGreaterThanOrEqual(999n);
    expect(nextBits(p, 10, 20_000 + 1000 * 120_000)).toBe(0x2000ffff); // clamped to the pow limit
    expect(nextBits(p, 100_000, 0)).toBe(0x01010000); // clamped to target 1
  });

  it('SHA-256 of the empty string and of "abc"', () => {
    expect(toHex(sha256(new Uint8Array()))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(toHex(sha256(utf8('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
