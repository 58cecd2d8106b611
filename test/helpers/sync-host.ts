// Pieces of the fake SyncHosts the range-sync unit tests build.
import type { Status } from '../../p2p/protocol.ts';

/** The status a fake host gives for its main chain: block hashes from the genesis on, work = its length. */
export const mainChainStatus = (chainId: number, main: readonly Uint8Array[]): Status => ({
  chainId,
  genesisHash: main[0]!,
  headHash: main.at(-1)!,
  headHeight: main.length - 1,
  totalWork: BigInt(main.length),
});
