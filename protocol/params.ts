// Chain parameters and genesis. genesis.json is validated field by field; its parameters are committed
// in the genesis state (key "params"), so the genesis hash changes with any of them. The market's own
// limits (largest price) belong to the market code: the caller passes them (consensus/genesis.ts).
import { Writer } from './bytes.ts';
import { bitsToTarget } from './difficulty.ts';
import { type Address, isAddress } from './keys.ts';

export type Role = 'grid' | 'vpp';

export interface GenesisAccount {
  name: string;
  role: Role;
  address: Address;
  balance: bigint;
}

/** Real-time market parameters (prices in token base units per kWh). */
export interface MarketParams {
  /** Delivery interval length; interval k covers [genesis time + k·intervalMs, + (k+1)·intervalMs). */
  intervalMs: number;
  /** How many intervals ahead of the current one bids are accepted. */
  maxIntervalsAhead: number;
  /** Default price at which the grid sells to short VPPs, unless the grid sets one for the interval. */
  gridSellPrice: number;
  /** Default price at which the grid buys from long VPPs. */
  gridBuyPrice: number;
  /** Default price a VPP pays for metered energy it was short of its traded position. */
  imbalanceShortPrice: number;
  /** Default price a VPP receives for metered surplus beyond its traded position. */
  imbalanceLongPrice: number;
  /** Confirmations after which the API reports a bill as confirmed (clients may ask for more). */
  minConfirmations: number;
}

/** Limits the market code sets on its genesis parameters (contracts-vm/auction/limits.ts). */
export interface MarketLimits {
  maxPrice: number;
}

export interface ChainParams {
  chainId: number;
  name: string;
  timestamp: number; // genesis time, ms
  blockTimeMs: number;
  halfLifeMs: number;
  initialBits: number;
  powLimitBits: number;
  maxFutureDriftMs: number;
  maxBlockBytes: number;
  maxBlockTxs: number;
  minTxFee: bigint;
  market: MarketParams;
  accounts: GenesisAccount[];
}

export class GenesisError extends Error {
  override name = 'GenesisError';
}

type Json = Record<string, unknown>;

function int(o: Json, field: string, min: number, max: number): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new GenesisError(`${field} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function amount(o: Json, field: string): bigint {
  const v = o[field];
  if (typeof v !== 'string' || !/^(0|[1-9]\d{0,19})$/.test(v) || BigInt(v) >= 1n << 64n) {
    throw new GenesisError(`${field} must be a decimal string of a u64 amount, got ${JSON.stringify(v)}`);
  }
  return BigInt(v);
}

function bits(o: Json, field: string): number {
  const v = o[field];
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{8}$/.test(v)) {
    throw new GenesisError(`${field} must be compact bits as 0x + 8 hex digits, got ${JSON.stringify(v)}`);
  }
  const b = Number.parseInt(v.slice(2), 16);
  if (bitsToTarget(b) === null) throw new GenesisError(`${field} is not a valid compact target`);
  return b;
}

function parseMarket(raw: unknown, limits: MarketLimits): MarketParams {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new GenesisError('market must be an object');
  const m = raw as Json;
  const field = (name: string, min: number, max: number) => {
    try {
      return int(m, name, min, max);
    } catch (err) {
      throw new GenesisError(`market.${(err as Error).message}`);
    }
  };
  const market: MarketParams = {
    intervalMs: field('intervalMs', 1000, 86_400_000),
    maxIntervalsAhead: field('maxIntervalsAhead', 1, 10_000),
    gridSellPrice: field('gridSellPrice', 0, limits.maxPrice),
    gridBuyPrice: field('gridBuyPrice', 0, limits.maxPrice),
    imbalanceShortPrice: field('imbalanceShortPrice', 0, limits.maxPrice),
    imbalanceLongPrice: field('imbalanceLongPrice', 0, limits.maxPrice),
    minConfirmations: field('minConfirmations', 0, 10_000),
  };
  if (market.gridBuyPrice > market.gridSellPrice)
    throw new GenesisError('market.gridBuyPrice must not exceed market.gridSellPrice');
  if (market.imbalanceLongPrice > market.imbalanceShortPrice) {
    throw new GenesisError('market.imbalanceLongPrice must not exceed market.imbalanceShortPrice');
  }
  return market;
}

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

export function parseGenesis(raw: unknown, limits: MarketLimits): ChainParams {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new GenesisError('genesis must be a JSON object');
  const o = raw as Json;
  const name = o.name;
  if (typeof name !== 'string' || name.length === 0 || name.length > 64)
    throw new GenesisError('name must be a string of 1..64 characters');
  const params: ChainParams = {
    chainId: int(o, 'chainId', 1, 0xffffffff),
    name,
    timestamp: int(o, 'timestamp', 0, 2 ** 48),
    blockTimeMs: int(o, 'blockTimeMs', 100, 86_400_000),
    halfLifeMs: int(o, 'halfLifeMs', 1000, 365 * 86_400_000),
    initialBits: bits(o, 'initialBits'),
    powLimitBits: bits(o, 'powLimitBits'),
    maxFutureDriftMs: int(o, 'maxFutureDriftMs', 0, 86_400_000),
    maxBlockBytes: int(o, 'maxBlockBytes', 1024, 32 * 1024 * 1024),
    maxBlockTxs: int(o, 'maxBlockTxs', 1, 100_000),
    minTxFee: amount(o, 'minTxFee'),
    market: parseMarket(o.market, limits),
    accounts: [],
  };
  if (bitsToTarget(params.initialBits)! > bitsToTarget(params.powLimitBits)!) {
    throw new GenesisError('initialBits must not be easier than powLimitBits');
  }
  if (!Array.isArray(o.accounts)) throw new GenesisError('accounts must be an array');
  const seen = new Set<string>();
  let total = 0n;
  o.accounts.forEach((a: unknown, i: number) => {
    const at = `accounts[${i}]`;
    if (typeof a !== 'object' || a === null) throw new GenesisError(`${at} must be an object`);
    const acc = a as Json;
    // The registry stores the name as at most 64 bytes of UTF-8 (contracts-vm/contracts/registry.ts), so
    // the limit is in bytes: 64 characters of a non-ASCII name would not read back.
    if (typeof acc.name !== 'string' || acc.name.length === 0 || utf8Length(acc.name) > 64)
      throw new GenesisError(`${at}.name must be a string of 1..64 bytes in UTF-8`);
    if (acc.role !== 'grid' && acc.role !== 'vpp')
      throw new GenesisError(`${at}.role must be "grid" or "vpp"`);
    if (!isAddress(acc.address)) throw new GenesisError(`${at}.address must be 0x + 40 lowercase hex digits`);
    if (seen.has(acc.address)) throw new GenesisError(`${at}.address is listed twice`);
    seen.add(acc.address);
    const balance = amount(acc, 'balance');
    total += balance;
    params.accounts.push({ name: acc.name, role: acc.role, address: acc.address, balance });
  });
  if (total >= 1n << 64n) throw new GenesisError('the sum of account balances must fit in u64');
  if (params.accounts.filter((a) => a.role === 'grid').length !== 1)
    throw new GenesisError('exactly one account must have role "grid"');
  return params;
}

/** The JSON form of parameters (the inverse of parseGenesis). */
export function genesisToJson(p: ChainParams): Record<string, unknown> {
  const hex = (b: number) => `0x${b.toString(16).padStart(8, '0')}`;
  return {
    chainId: p.chainId,
    name: p.name,
    timestamp: p.timestamp,
    blockTimeMs: p.blockTimeMs,
    halfLifeMs: p.halfLifeMs,
    initialBits: hex(p.initialBits),
    powLimitBits: hex(p.powLimitBits),
    maxFutureDriftMs: p.maxFutureDriftMs,
    maxBlockBytes: p.maxBlockBytes,
    maxBlockTxs: p.maxBlockTxs,
    minTxFee: p.minTxFee.toString(),
    market: { ...p.market },
    accounts: p.accounts.map((a) => ({
      name: a.name,
      role: a.role,
      address: a.address,
      balance: a.balance.toString(),
    })),
  };
}

/** Canonical encoding of the parameters, stored in the genesis state. */
export function encodeParams(p: ChainParams): Uint8Array {
  const w = new Writer()
    .u32(p.chainId)
    .string(p.name)
    .u64(BigInt(p.timestamp))
    .u32(p.blockTimeMs)
    .u64(BigInt(p.halfLifeMs))
    .u32(p.initialBits)
    .u32(p.powLimitBits)
    .u32(p.maxFutureDriftMs)
    .u32(p.maxBlockBytes)
    .u32(p.maxBlockTxs)
    .u64(p.minTxFee)
    .u32(p.market.intervalMs)
    .u32(p.market.maxIntervalsAhead)
    .u32(p.market.gridSellPrice)
    .u32(p.market.gridBuyPrice)
    .u32(p.market.imbalanceShortPrice)
    .u32(p.market.imbalanceLongPrice)
    .u32(p.market.minConfirmations)
    .u32(p.accounts.length);
  for (const a of p.accounts)
    w.string(a.name)
      .u8(a.role === 'grid' ? 0 : 1)
      .string(a.address)
      .u64(a.balance);
  return w.finish();
}
