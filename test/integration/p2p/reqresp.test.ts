import { afterEach, describe, expect, it } from 'vitest';
import { decodeStatus, encodeHashes, encodeRange, encodeStatus } from '../../../p2p/protocol.ts';
import { ResponseError, request } from '../../../p2p/reqresp.ts';
import { decodeBlock, decodeHeader, headerHash } from '../../../protocol/block.ts';
import { toHex } from '../../../protocol/bytes.ts';
import { ChainBuilder, testParams } from '../../helpers/builder.ts';
import { startNet, type TestNet, waitFor } from '../../helpers/net.ts';
import { scaled } from '../../helpers/time.ts';

describe('request-response protocols', () => {
  let net: TestNet | undefined;
  afterEach(async () => {
    await net?.close();
    net = undefined;
  });

  it(
    'serves status, block and header ranges and blocks by hash within their limits',
    async () => {
      const params = testParams();
      const b = new ChainBuilder(params);
      net = await startNet(params, [{}, {}], { mesh: false });
      const [server, client] = net.nodes as [
        NonNullable<TestNet['nodes'][0]>,
        NonNullable<TestNet['nodes'][0]>,
      ];
      const blocks = b.extend(b.genesisId, 70);
      for (const blk of blocks) await server.chain.processBlock(blk);
      net.link(1, 0);
      await waitFor('connected', () => client.network!.peerCount === 1);
      await waitFor('client synced', () => client.chain.height === 70);
      const peer = server.network!.libp2p.peerId;
      const names = server.network!.names;
      const c = client.network!.libp2p;

      const [st] = await request(c, peer, names.status, encodeStatus(client.network!.status()), {
        maxItems: 1,
        maxItemBytes: 256,
      });
      expect(decodeStatus(st!).headHeight).toBe(70);

      const range = await request(c, peer, names.blocksByRange, encodeRange({ start: 60, count: 20 }), {
        maxItems: 20,
        maxItemBytes: 1 << 20,
      });
      expect(range.map((x) => decodeBlock(x, params).header.height)).toEqual([
        60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70,
      ]);

      const headers = await request(c, peer, names.headersByRange, encodeRange({ start: 1, count: 3 }), {
        maxItems: 3,
        maxItemBytes: 256,
      });
      expect(headers.map((h) => toHex(headerHash(decodeHeader(h))))).toEqual(
        blocks.slice(0, 3).map((x) => b.idOf(x)),
      );

      const wanted = [blocks[5]!, blocks[40]!].map((x) => headerHash(x.header));
      const unknown = new Uint8Array(32).fill(3);
      const byHash = await request(
        c,
        peer,
        names.blocksByHash,
        encodeHashes([wanted[0]!, unknown, wanted[1]!]),
        { maxItems: 3, maxItemBytes: 1 << 20 },
      );
      expect(byHash.map((x) => decodeBlock(x, params).header.height)).toEqual([6, 41]);

      // A response larger than the client allows is refused on the client side.
      const small = request(c, peer, names.blocksByRange, encodeRange({ start: 1, count: 2 }), {
        maxItems: 2,
        maxItemBytes: 100,
      });
      await expect(small).rejects.toMatchObject({ kind: 'invalid' });
      // Over the count limit: the server refuses (the stream is aborted) and counts it against the client (-20:
      // malformed request, which also reaches the disconnect threshold).
      const over = request(c, peer, names.blocksByRange, encodeRange({ start: 1, count: 65 }), {
        maxItems: 65,
        maxItemBytes: 1 << 20,
      });
      await expect(over).rejects.toBeInstanceOf(ResponseError);
      expect(server.network!.scores.score(client.network!.peerId)).toBeLessThan(0);
      await waitFor('client disconnected', () => client.network!.peerCount === 0);
    },
    scaled(120_000),
  );
});
