// Real-time deviation auction. Active VPPs place step bids for a future interval before its gate (a
// buyer's possible payment is locked when it bids); a newer bid replaces the older one; the grid may set
// the interval's prices before the gate. The first block at or after the gate clears the interval by rule
// (end-of-block hook) with the pure engine in ../auction (merit order + VCG), settles in tokens with the
// grid account as the market operator, and writes the clearing record and each participant's bill. The
// gate is an admission rule (runtime.ts): checked before each method runs, and by the mempool on admission.
// The methods' ids, arguments and gas are the contract's ABI (../abi/auction.ts); this adds execution.
//
// Keys (prefix "x"): 01 + k + address -> bid; 02 + k -> bidders (sorted); 03 -> intervals with bids
// (sorted); 04 + k -> the interval's prices; 05 + k -> clearing record.
import { concatBytes, Reader, Writer } from '../../protocol/bytes.ts';
import { TxError, TxErrorCode } from '../../protocol/errors.ts';
import { ADDRESS_LENGTH, type Address, addressToBytes, bytesToAddress } from '../../protocol/keys.ts';
import type { ChainParams } from '../../protocol/params.ts';
import {
  AUCTION_ABI,
  type BidStep,
  type IntervalArgs,
  type IntervalPrices,
  type PlaceBidArgs,
  PRICE_FIELDS,
  type SetPricesArgs,
  type Side,
  sideByte,
  sideOfByte,
} from '../abi/auction.ts';
import { clearAuction } from '../auction/index.ts';
import type { Bid, ClearingResult } from '../auction/types.ts';
import { updateBill } from '../bills.ts';
import {
  type AdmissionContext,
  type CallContext,
  type Contract,
  type HookContext,
  implement,
} from '../runtime.ts';
import type { Overlay, StateReader } from '../state.ts';
import { lock, transferUpTo, unlock } from '../token.ts';
import { formatDuration, gateOf, intervalAt, intervalStart, isoTime } from './intervals.ts';
import { getRegistration, gridAddress, requireActiveVpp, requireGrid } from './registry.ts';

/** A bid as stored: its steps, the buyer's lock, the height that placed it. */
export interface StoredBid {
  side: Side;
  steps: readonly BidStep[];
  locked: bigint;
  height: number;
}

export interface ClearingRecord extends IntervalPrices {
  interval: bigint;
  height: number;
  timestamp: number;
  tradedQty: bigint;
  welfare: bigint;
  deficit: bigint;
  gridSold: bigint;
  gridBought: bigint;
  gridRevenue: bigint;
  gridExpense: bigint;
  operatorNet: bigint;
  /** Tokens the grid could not pay (0 unless its balance ran out). */
  unpaid: bigint;
  participants: {
    address: Address;
    side: Side;
    qty: bigint;
    payment: bigint;
    gridQty: bigint;
    gridPayment: bigint;
  }[];
  /** Bidders no longer active at the gate: their bids were dropped and their locks released. */
  excluded: Address[];
}

const u64 = (k: bigint) => new Writer().u64(k).finish();
const bidKey = (k: bigint, a: Address) => concatBytes(Uint8Array.of(0x78, 1), u64(k), addressToBytes(a));
const biddersKey = (k: bigint) => concatBytes(Uint8Array.of(0x78, 2), u64(k));
const PENDING_KEY = Uint8Array.of(0x78, 3);
const pricesKey = (k: bigint) => concatBytes(Uint8Array.of(0x78, 4), u64(k));
const clearingKey = (k: bigint) => concatBytes(Uint8Array.of(0x78, 5), u64(k));

function readAddresses(v: Uint8Array | undefined): Address[] {
  if (!v) return [];
  const r = new Reader(v);
  const n = r.u32();
  const out: Address[] = [];
  for (let i = 0; i < n; i++) out.push(bytesToAddress(r.fixed(ADDRESS_LENGTH)));
  return out;
}
function writeAddresses(list: Address[]): Uint8Array {
  const w = new Writer().u32(list.length);
  for (const a of list) w.fixed(addressToBytes(a), ADDRESS_LENGTH);
  return w.finish();
}
function readIntervals(v: Uint8Array | undefined): bigint[] {
  if (!v) return [];
  const r = new Reader(v);
  const n = r.u32();
  return Array.from({ length: n }, () => r.u64());
}
function writeIntervals(list: bigint[]): Uint8Array {
  const w = new Writer().u32(list.length);
  for (const k of list) w.u64(k);
  return w.finish();
}

function encodeBid(b: StoredBid): Uint8Array {
  const w = new Writer().u8(sideByte(b.side)).u64(b.locked).u32(b.height).u8(b.steps.length);
  for (const s of b.steps) w.u32(s.qty).u32(s.price);
  return w.finish();
}
export function getBid(state: StateReader, k: bigint, a: Address): StoredBid | undefined {
  const v = state.get(bidKey(k, a));
  if (!v) return undefined;
  const r = new Reader(v);
  const side = sideOfByte(r.u8());
  const locked = r.u64();
  const height = r.u32();
  const n = r.u8();
  const steps = Array.from({ length: n }, () => ({ qty: r.u32(), price: r.u32() }));
  r.end('bid');
  return { side, steps, locked, height };
}

export const getBidders = (state: StateReader, k: bigint): Address[] =>
  readAddresses(state.get(biddersKey(k)));
export const pendingIntervals = (state: StateReader): bigint[] => readIntervals(state.get(PENDING_KEY));

export function intervalPrices(state: StateReader, p: ChainParams, k: bigint): IntervalPrices {
  const v = state.get(pricesKey(k));
  if (!v) {
    const { gridSellPrice, gridBuyPrice, imbalanceShortPrice, imbalanceLongPrice } = p.market;
    return { gridSellPrice, gridBuyPrice, imbalanceShortPrice, imbalanceLongPrice };
  }
  const r = new Reader(v);
  const prices = {} as IntervalPrices;
  for (const f of PRICE_FIELDS) prices[f] = r.u32();
  return prices;
}

/** A buyer's lock: the most its bid can cost, sum of ceil(qty × price / 1000). */
export const lockFor = (steps: readonly BidStep[]): bigint =>
  steps.reduce((s, x) => s + (BigInt(x.qty) * BigInt(x.price) + 999n) / 1000n, 0n);

// ---- methods ------------------------------------------------------------------------------------

/**
 * The auction's admission rule (no state, only time): interval k takes bids, cancellations and prices only
 * in blocks before its gate, and at most maxIntervalsAhead intervals ahead of the one in delivery. The
 * runtime runs it before each of these methods, and the mempool on every such call it holds.
 */
function requireOpen(ctx: AdmissionContext, { interval: k }: IntervalArgs): void {
  const { params, timestamp } = ctx;
  const gate = gateOf(params, k);
  if (timestamp >= gate) {
    const when = ctx.admission
      ? `${formatDuration(timestamp - gate)} ago`
      : `${formatDuration(timestamp - gate)} before this block's time ${isoTime(timestamp)}`;
    throw new TxError(
      TxErrorCode.GATE_CLOSED,
      `the gate of interval ${k} closed at ${isoTime(gate)}, ${when}: bids, cancellations and prices for it are no longer accepted`,
    );
  }
  const now = intervalAt(params, timestamp);
  const ahead = BigInt(params.market.maxIntervalsAhead);
  if (k > now + ahead) {
    throw new TxError(
      TxErrorCode.INTERVAL_TOO_FAR,
      `interval ${k} is more than ${ahead} intervals ahead of interval ${now} (in delivery at ${isoTime(timestamp)}); it opens at ${isoTime(intervalStart(params, k - ahead))}`,
    );
  }
}

function withdraw(state: Overlay, k: bigint, who: Address): StoredBid | undefined {
  const old = getBid(state, k, who);
  if (old && old.locked > 0n) unlock(state, who, old.locked);
  return old;
}

function placeBid(ctx: CallContext, { interval, side, steps }: PlaceBidArgs): void {
  requireActiveVpp(ctx.state, ctx.sender);
  const replaced = withdraw(ctx.state, interval, ctx.sender);
  const locked = side === 'buy' ? lockFor(steps) : 0n;
  if (locked > 0n) lock(ctx.state, ctx.sender, locked);
  ctx.state.set(bidKey(interval, ctx.sender), encodeBid({ side, steps, locked, height: ctx.height }));
  if (!replaced) {
    const bidders = getBidders(ctx.state, interval);
    bidders.push(ctx.sender);
    bidders.sort();
    ctx.state.set(biddersKey(interval), writeAddresses(bidders));
    const pending = pendingIntervals(ctx.state);
    if (!pending.includes(interval)) {
      pending.push(interval);
      pending.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      ctx.state.set(PENDING_KEY, writeIntervals(pending));
    }
  }
  const totalWh = steps.reduce((s, x) => s + x.qty, 0);
  ctx.events.push({
    contract: 'auction',
    name: replaced ? 'BidReplaced' : 'BidPlaced',
    data: {
      interval: interval.toString(),
      vpp: ctx.sender,
      side,
      steps: steps.length,
      totalWh,
      locked: locked.toString(),
    },
  });
}

function cancelBid(ctx: CallContext, { interval }: IntervalArgs): void {
  if (!withdraw(ctx.state, interval, ctx.sender))
    throw new TxError(TxErrorCode.NO_BID, `no bid for interval ${interval}`);
  ctx.state.set(bidKey(interval, ctx.sender), null);
  const bidders = getBidders(ctx.state, interval).filter((a) => a !== ctx.sender);
  ctx.state.set(biddersKey(interval), bidders.length ? writeAddresses(bidders) : null);
  if (bidders.length === 0)
    ctx.state.set(PENDING_KEY, writeIntervals(pendingIntervals(ctx.state).filter((k) => k !== interval)));
  ctx.events.push({
    contract: 'auction',
    name: 'BidCancelled',
    data: { interval: interval.toString(), vpp: ctx.sender },
  });
}

function setPrices(ctx: CallContext, { interval, ...prices }: SetPricesArgs): void {
  requireGrid(ctx, 'set interval prices');
  const w = new Writer();
  for (const f of PRICE_FIELDS) w.u32(prices[f]);
  ctx.state.set(pricesKey(interval), w.finish());
  ctx.events.push({
    contract: 'auction',
    name: 'PricesSet',
    data: { interval: interval.toString(), ...prices },
  });
}

// ---- clearing ---------------------------------------------------------------------------------------

function clearInterval(ctx: HookContext, k: bigint): ClearingRecord {
  const { state, params } = ctx;
  const grid = gridAddress(params);
  const prices = intervalPrices(state, params, k);
  const bids: Bid[] = [];
  const excluded: Address[] = [];
  const locks = new Map<Address, bigint>();
  for (const a of getBidders(state, k)) {
    const bid = getBid(state, k, a)!;
    locks.set(a, bid.locked);
    const reg = getRegistration(state, a);
    if (reg?.role !== 'vpp' || reg.status !== 'active') excluded.push(a);
    else bids.push({ id: a, side: bid.side, steps: bid.steps });
  }
  for (const [a, locked] of locks) if (locked > 0n) unlock(state, a, locked);
  const result: ClearingResult = clearAuction({
    gridSellPrice: prices.gridSellPrice,
    gridBuyPrice: prices.gridBuyPrice,
    bids,
  });

  // Buyers pay first (their locks cover it), so the operator holds their payments before paying sellers.
  // Each bill line carries what moved, so a bill's total is its VPP's balance change: a seller the grid
  // cannot pay in full gets what it can spend on its market line first, then on its grid line, and an
  // `unpaid` line for the rest.
  let unpaid = 0n;
  const ordered = [...result.participants].sort((x, y) =>
    x.side === y.side ? 0 : x.side === 'buy' ? -1 : 1,
  );
  for (const p of ordered) {
    const a = p.id as Address;
    const due = p.payment + p.gridPayment;
    let market: bigint;
    let withGrid: bigint;
    let short = 0n;
    if (p.side === 'buy') {
      const paid = transferUpTo(state, a, grid, due);
      if (paid !== due) throw new Error(`buyer ${a} could not pay ${due} from its lock`); // locks guarantee it
      market = -p.payment;
      withGrid = -p.gridPayment;
    } else {
      const paid = transferUpTo(state, grid, a, due);
      short = due - paid;
      withGrid = paid > p.payment ? paid - p.payment : 0n; // the market line is paid first
      market = paid - withGrid;
    }
    unpaid += short;
    // The engine gives a participant money only for Wh it traded, so one without traded Wh has no line.
    if (p.qty === 0 && p.gridQty === 0) continue;
    updateBill(state, a, k, (b) => {
      b.clearingHeight = ctx.height;
      if (p.qty > 0)
        b.lines.push({
          kind: p.side === 'buy' ? 'auction-buy' : 'auction-sell',
          wh: BigInt(p.qty),
          amount: market,
        });
      if (p.gridQty > 0)
        b.lines.push({
          kind: p.side === 'buy' ? 'grid-buy' : 'grid-sell',
          wh: BigInt(p.gridQty),
          amount: withGrid,
        });
      if (short > 0n) b.lines.push({ kind: 'unpaid', wh: 0n, amount: short });
    });
  }
  for (const p of result.participants) {
    if (p.qty === 0 && p.gridQty === 0)
      updateBill(state, p.id as Address, k, (b) => (b.clearingHeight = ctx.height));
  }
  return {
    interval: k,
    height: ctx.height,
    timestamp: ctx.timestamp,
    ...prices,
    tradedQty: BigInt(result.tradedQty),
    welfare: result.welfare,
    deficit: result.deficit,
    gridSold: BigInt(result.grid.sold),
    gridBought: BigInt(result.grid.bought),
    gridRevenue: result.grid.revenue,
    gridExpense: result.grid.expense,
    operatorNet: result.operatorNet,
    unpaid,
    participants: result.participants.map((p) => ({
      address: p.id as Address,
      side: p.side,
      qty: BigInt(p.qty),
      payment: p.payment,
      gridQty: BigInt(p.gridQty),
      gridPayment: p.gridPayment,
    })),
    excluded,
  };
}

export function encodeClearing(c: ClearingRecord): Uint8Array {
  const w = new Writer()
    .u64(c.interval)
    .u32(c.height)
    .u64(BigInt(c.timestamp))
    .u32(c.gridSellPrice)
    .u32(c.gridBuyPrice)
    .u32(c.imbalanceShortPrice)
    .u32(c.imbalanceLongPrice);
  for (const v of [c.tradedQty, c.welfare, c.deficit, c.gridSold, c.gridBought, c.gridRevenue, c.gridExpense])
    w.u64(v);
  w.i64(c.operatorNet).u64(c.unpaid).u32(c.participants.length);
  for (const p of c.participants)
    w.fixed(addressToBytes(p.address), ADDRESS_LENGTH)
      .u8(sideByte(p.side))
      .u64(p.qty)
      .u64(p.payment)
      .u64(p.gridQty)
      .u64(p.gridPayment);
  w.fixed(writeAddresses(c.excluded), 4 + ADDRESS_LENGTH * c.excluded.length);
  return w.finish();
}

export function getClearing(state: StateReader, k: bigint): ClearingRecord | undefined {
  const v = state.get(clearingKey(k));
  if (!v) return undefined;
  const r = new Reader(v);
  const c = {
    interval: r.u64(),
    height: r.u32(),
    timestamp: Number(r.u64()),
    gridSellPrice: r.u32(),
    gridBuyPrice: r.u32(),
    imbalanceShortPrice: r.u32(),
    imbalanceLongPrice: r.u32(),
    tradedQty: r.u64(),
    welfare: r.u64(),
    deficit: r.u64(),
    gridSold: r.u64(),
    gridBought: r.u64(),
    gridRevenue: r.u64(),
    gridExpense: r.u64(),
    operatorNet: r.i64(),
    unpaid: r.u64(),
  };
  const n = r.u32();
  const participants = Array.from({ length: n }, () => ({
    address: bytesToAddress(r.fixed(ADDRESS_LENGTH)),
    side: sideOfByte(r.u8()),
    qty: r.u64(),
    payment: r.u64(),
    gridQty: r.u64(),
    gridPayment: r.u64(),
  }));
  const m = r.u32();
  const excluded = Array.from({ length: m }, () => bytesToAddress(r.fixed(ADDRESS_LENGTH)));
  r.end('clearing record');
  return { ...c, participants, excluded };
}

/** Clears, in order, every interval with bids whose gate this block has reached. */
function endBlock(ctx: HookContext): void {
  const pending = pendingIntervals(ctx.state);
  const due = pending.filter((k) => gateOf(ctx.params, k) <= ctx.timestamp);
  if (due.length === 0) return;
  for (const k of due) {
    const rec = clearInterval(ctx, k);
    ctx.state.set(clearingKey(k), encodeClearing(rec));
    ctx.events.push({
      contract: 'auction',
      name: 'AuctionCleared',
      data: {
        interval: k.toString(),
        bids: rec.participants.length,
        tradedWh: rec.tradedQty.toString(),
        deficit: rec.deficit.toString(),
        gridSoldWh: rec.gridSold.toString(),
        gridBoughtWh: rec.gridBought.toString(),
        excluded: rec.excluded,
      },
    });
    for (const p of rec.participants)
      ctx.events.push({
        contract: 'auction',
        name: 'BillUpdated',
        data: { interval: k.toString(), vpp: p.address },
      });
  }
  ctx.state.set(PENDING_KEY, writeIntervals(pending.filter((k) => !due.includes(k))));
}

export const auction: Contract = implement(
  AUCTION_ABI,
  { placeBid, cancelBid, setPrices },
  { endBlock, admit: { placeBid: requireOpen, cancelBid: requireOpen, setPrices: requireOpen } },
);
