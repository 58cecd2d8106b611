// Typed client of the vppchain node API. Transactions are built and signed locally (client/tx.ts) and
// submitted in their canonical hex form; errors carry the API's code (VppApiError).

import {
  type AuctionView,
  type BidStep,
  type BillView,
  CONTRACT_ABI,
  commitScheduleCall,
  placeBidCall,
  type ScheduleEntryView,
  type Side,
} from '../contracts-vm/abi/index.ts';
import type { KeyPair } from '../protocol/keys.ts';
import type { CallPayload, Tx } from '../protocol/tx.ts';
import { VppApiError, VppConnectionError, VppTimeoutError, VppTxDroppedError } from './errors.ts';
import { parseSse } from './sse.ts';
import { buildTransfer, domainOf, encodeTransaction, signTransaction, toU64 } from './tx.ts';
import type {
  AccountJson,
  ApiErrorBody,
  BlockJson,
  BlockPageJson,
  ConfirmedTxJson,
  NodeEventJson,
  StatusJson,
  TxStatusJson,
} from './types.ts';

export * from './errors.ts';
export { parseSse, type SseMessage } from './sse.ts';
export * from './tx.ts';
export type * from './types.ts';

export type { AuctionView, BidStep, BillView, ScheduleEntryView, Side };

export interface BidRequest {
  key: KeyPair;
  interval: bigint | number | string;
  side: Side;
  /** Wh and token base units per kWh, integers; 1..32 steps. */
  steps: BidStep[];
  fee?: bigint | number | string;
  nonce?: bigint | number | string;
}

export interface ScheduleRequest {
  key: KeyPair;
  /** The first interval; positions follow for the intervals after it, one each. */
  firstInterval: bigint | number | string;
  /** Net positions in Wh, + export / - import, integers with |Wh| ≤ 10^12; 1..1,000 of them. */
  positionsWh: (bigint | number | string)[];
  fee?: bigint | number | string;
  nonce?: bigint | number | string;
}

/** GET /v1/schedules/:address: the committed positions of the intervals from..to that have one. */
export interface SchedulePage {
  vpp: string;
  from: string;
  to: string;
  intervals: ScheduleEntryView[];
}

export interface BillsPage {
  vpp: string;
  from: string;
  to: string;
  minConfirmations: number;
  bills: BillView[];
}

export interface ClientOptions {
  /** Per-request timeout (default 10 s); event streams have none. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface WaitOptions {
  /** Confirmations required (default 1: included in the head chain). */
  confirmations?: number;
  timeoutMs?: number;
  /** Poll interval; with events (the default) polls are only the fallback. Default 1000 ms. */
  pollMs?: number;
  /** Wake up on head events (SSE) instead of only polling. Default true. */
  events?: boolean;
  signal?: AbortSignal;
}

export interface SubscribeOptions {
  kinds?: string[];
  lastEventId?: number;
  signal?: AbortSignal;
}

export interface TransferRequest {
  key: KeyPair;
  to: string;
  amount: bigint | number | string;
  /** Default: the chain's minimum fee (from /v1/status). */
  fee?: bigint | number | string;
  /** Default: the account's pending nonce (after its pending transactions). */
  nonce?: bigint | number | string;
}

const isErrorBody = (v: unknown): v is ApiErrorBody =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as ApiErrorBody).error === 'object' &&
  typeof (v as ApiErrorBody).error?.code === 'string';

export class VppClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private statusCache?: StatusJson;

  constructor(baseUrl: string, opts: ClientOptions = {}) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new RangeError(`not a URL: '${baseUrl}'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new RangeError(`node URL must be http(s), got '${baseUrl}'`);
    this.baseUrl = url.toString().replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.fetchFn = opts.fetch ?? fetch;
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.baseUrl}${path}`, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError')
        throw new VppTimeoutError(`${method} ${path}: no answer in ${this.timeoutMs} ms`);
      throw new VppConnectionError(
        `cannot reach ${this.baseUrl}: ${(e.cause as Error)?.message ?? e.message}`,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new VppConnectionError(`${method} ${path}: HTTP ${res.status} with a body that is not JSON`);
    }
    if (!res.ok) {
      if (isErrorBody(json))
        throw new VppApiError(res.status, json.error.code, json.error.message, json.error.details);
      throw new VppApiError(res.status, 'HTTP_ERROR', `HTTP ${res.status}`);
    }
    return json as T;
  }

  async status(): Promise<StatusJson> {
    const s = await this.request<StatusJson>('GET', '/v1/status');
    this.statusCache = s;
    return s;
  }

  account(address: string): Promise<AccountJson> {
    return this.request('GET', `/v1/accounts/${encodeURIComponent(address)}`);
  }

  block(id: number | string = 'latest'): Promise<BlockJson> {
    return this.request('GET', `/v1/blocks/${encodeURIComponent(String(id))}`);
  }

  blocks(opts: { from?: number; limit?: number } = {}): Promise<BlockPageJson> {
    const q = new URLSearchParams();
    if (opts.from !== undefined) q.set('from', String(opts.from));
    if (opts.limit !== undefined) q.set('limit', String(opts.limit));
    const qs = q.toString();
    return this.request('GET', `/v1/blocks${qs ? `?${qs}` : ''}`);
  }

  /** Pending, confirmed or dropped; throws VppApiError with code NOT_FOUND when the node does not know it. */
  transaction(hash: string): Promise<TxStatusJson> {
    return this.request('GET', `/v1/transactions/${encodeURIComponent(hash)}`);
  }

  /** Submits a signed transaction (its canonical hex form); resolves with its id once the mempool took it. */
  async submit(tx: Tx | { hex: string }): Promise<{ hash: string }> {
    const hex = 'hex' in tx ? tx.hex : encodeTransaction(tx).hex;
    return this.request('POST', '/v1/transactions', { hex });
  }

  /** Builds, signs (locally) and submits a transfer; fee and nonce default from the node. */
  async transfer(req: TransferRequest): Promise<{ hash: string; tx: Tx }> {
    const status = this.statusCache ?? (await this.status());
    const fee = req.fee ?? status.minTxFee ?? '0';
    const nonce = req.nonce ?? (await this.account(req.key.address)).pendingNonce;
    const unsigned = buildTransfer(req.key, { to: req.to, amount: req.amount, fee, nonce });
    const tx = signTransaction(unsigned, req.key, domainOf(status));
    const { hash } = await this.submit(tx);
    return { hash, tx };
  }

  /**
   * Resolves when the transaction is on the main chain with `confirmations` confirmations; wakes on head
   * and tx.dropped events (SSE) and polls as a fallback. Throws VppTxDroppedError as soon as the node
   * reports it dropped (with the reason), VppTimeoutError after `timeoutMs` (default 60 s).
   */
  async waitForConfirmation(hash: string, opts: WaitOptions = {}): Promise<ConfirmedTxJson> {
    const need = opts.confirmations ?? 1;
    if (!Number.isSafeInteger(need) || need < 1)
      throw new RangeError('confirmations must be a positive integer');
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const pollMs = opts.pollMs ?? 1000;
    const stop = new AbortController();
    const timer = setTimeout(
      () => stop.abort(new VppTimeoutError(`transaction ${hash} not confirmed after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onOuterAbort = () => stop.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
    let wake: (() => void) | undefined;
    stop.signal.addEventListener('abort', () => wake?.(), { once: true });
    const events = opts.events === false ? undefined : this.wakeOnEvents(hash, stop.signal, () => wake?.());
    try {
      for (;;) {
        if (stop.signal.aborted) throw stop.signal.reason;
        try {
          const t = await this.transaction(hash);
          if (t.status === 'confirmed' && t.confirmations >= need) return t;
          if (t.status === 'dropped') throw new VppTxDroppedError(t);
        } catch (err) {
          if (
            !(err instanceof VppApiError && err.code === 'NOT_FOUND') &&
            !(err instanceof VppConnectionError)
          )
            throw err;
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, pollMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onOuterAbort);
      if (!stop.signal.aborted) stop.abort();
      await events;
    }
  }

  /** Calls `wake` on every new head and when this transaction is dropped (then the poll reads why). */
  private async wakeOnEvents(hash: string, signal: AbortSignal, wake: () => void): Promise<void> {
    const id = hash.toLowerCase().replace(/^0x/, '');
    for (const kinds of [['head', 'tx.dropped'], ['head']]) {
      try {
        for await (const e of this.subscribe({ kinds, signal }))
          if (e.kind === 'head' || (e.data as { hash?: string }).hash === id) wake();
        return;
      } catch (err) {
        // A node older than 'tx.dropped' refuses the kind (400): follow heads only. Without an event
        // stream at all (proxy), polling carries on.
        if (!(err instanceof VppApiError && err.status === 400)) return;
      }
    }
  }

  /** Server-sent events as an async iterable; ends when `signal` aborts or the node closes the stream. */
  async *subscribe(opts: SubscribeOptions = {}): AsyncGenerator<NodeEventJson> {
    const q = opts.kinds?.length ? `?kinds=${encodeURIComponent(opts.kinds.join(','))}` : '';
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (opts.lastEventId !== undefined) headers['last-event-id'] = String(opts.lastEventId);
    // Our own controller: leaving the loop early (break, return, throw) closes the connection.
    const ctl = new AbortController();
    const onAbort = () => ctl.abort();
    if (opts.signal?.aborted) return;
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      let res: Response;
      try {
        res = await this.fetchFn(`${this.baseUrl}/v1/events${q}`, { headers, signal: ctl.signal });
      } catch (err) {
        if (ctl.signal.aborted) return;
        throw new VppConnectionError(`cannot reach ${this.baseUrl}: ${(err as Error).message}`);
      }
      if (!res.ok || !res.body) {
        const json = await res.json().catch(() => undefined);
        if (isErrorBody(json))
          throw new VppApiError(res.status, json.error.code, json.error.message, json.error.details);
        throw new VppApiError(res.status, 'HTTP_ERROR', `HTTP ${res.status}`);
      }
      try {
        for await (const m of parseSse(res.body)) {
          let parsed: NodeEventJson;
          try {
            parsed = JSON.parse(m.data) as NodeEventJson;
          } catch {
            continue;
          }
          yield parsed;
        }
      } catch (err) {
        if (ctl.signal.aborted) return;
        throw err;
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      ctl.abort();
    }
  }

  /** An auction interval: window, status, bids once closed, clearing (`current`/`next` work too). */
  auction(interval: bigint | number | 'current' | 'next'): Promise<AuctionView> {
    return this.request('GET', `/v1/auctions/${encodeURIComponent(String(interval))}`);
  }

  /** A VPP's bills for intervals from..to (at most 1,000), with confirmation depth. */
  bills(
    address: string,
    opts: { from?: bigint | number; to?: bigint | number; minConfirmations?: number } = {},
  ): Promise<BillsPage> {
    const q = new URLSearchParams();
    if (opts.from !== undefined) q.set('from', String(opts.from));
    if (opts.to !== undefined) q.set('to', String(opts.to));
    if (opts.minConfirmations !== undefined) q.set('minConfirmations', String(opts.minConfirmations));
    const qs = q.toString();
    return this.request('GET', `/v1/bills/${encodeURIComponent(address)}${qs ? `?${qs}` : ''}`);
  }

  /** Every bill of one interval (the grid operator's view). */
  intervalBills(
    interval: bigint | number,
    minConfirmations?: number,
  ): Promise<{ interval: string; minConfirmations: number; bills: BillView[] }> {
    const q = minConfirmations === undefined ? '' : `&minConfirmations=${minConfirmations}`;
    return this.request('GET', `/v1/bills?interval=${encodeURIComponent(String(interval))}${q}`);
  }

  /** A VPP's committed schedule for intervals from..to (default: from the one in delivery, 1,000 intervals). */
  schedule(
    address: string,
    opts: { from?: bigint | number; to?: bigint | number } = {},
  ): Promise<SchedulePage> {
    const q = new URLSearchParams();
    if (opts.from !== undefined) q.set('from', String(opts.from));
    if (opts.to !== undefined) q.set('to', String(opts.to));
    const qs = q.toString();
    return this.request('GET', `/v1/schedules/${encodeURIComponent(address)}${qs ? `?${qs}` : ''}`);
  }

  /**
   * Builds, signs (locally) and submits metering.commitSchedule: the VPP's net positions from
   * `firstInterval` on. The chain takes them until each interval's bidding window opens; a later
   * commitment of an interval replaces the earlier one. The fee defaults to the minimum for its gas.
   */
  commitSchedule(req: ScheduleRequest): Promise<{ hash: string; tx: Tx }> {
    // Integers here; the bounds (|Wh| ≤ 10^12, 1..1,000 positions) are the ABI's, checked locally by `call`.
    const positions = req.positionsWh.map((wh, i) => {
      if (typeof wh === 'bigint') return wh;
      if (typeof wh === 'number' && Number.isSafeInteger(wh)) return BigInt(wh);
      if (typeof wh === 'string' && /^-?(0|[1-9][0-9]*)$/.test(wh)) return BigInt(wh);
      throw new RangeError(`positionsWh[${i}] must be an integer number of Wh, got ${String(wh)}`);
    });
    return this.call(req.key, commitScheduleCall(toU64(req.firstInterval, 'firstInterval'), positions), req);
  }

  /** Builds, signs (locally) and submits a bid; the fee defaults to the minimum for its gas. */
  bid(req: BidRequest): Promise<{ hash: string; tx: Tx }> {
    return this.call(req.key, placeBidCall(toU64(req.interval, 'interval'), req.side, req.steps), req);
  }

  /**
   * Signs (locally) and submits any contract call (contracts-vm/abi builds them); the fee defaults to
   * the minimum for the method's gas, the nonce to the account's pending nonce.
   */
  async call(
    key: KeyPair,
    payload: CallPayload,
    opts: { fee?: bigint | number | string; nonce?: bigint | number | string } = {},
  ): Promise<{ hash: string; tx: Tx }> {
    const status = this.statusCache ?? (await this.status());
    const gas = BigInt(CONTRACT_ABI.gas(payload)); // decodes the arguments: a malformed call fails here, locally
    const fee = opts.fee === undefined ? BigInt(status.minTxFee ?? '0') * gas : toU64(opts.fee, 'fee');
    const nonce = toU64(opts.nonce ?? (await this.account(key.address)).pendingNonce, 'nonce');
    const tx = signTransaction({ nonce, fee, senderPubKey: key.publicKey, payload }, key, domainOf(status));
    const { hash } = await this.submit(tx);
    return { hash, tx };
  }

  /** Waits until the VPP's bill for `interval` exists and is confirmed (every recorded part deep enough). */
  async waitForBill(
    address: string,
    interval: bigint | number,
    opts: { minConfirmations?: number; timeoutMs?: number; pollMs?: number } = {},
  ): Promise<BillView> {
    const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
    for (;;) {
      const page = await this.bills(address, {
        from: interval,
        to: interval,
        minConfirmations: opts.minConfirmations,
      });
      const bill = page.bills[0];
      if (bill?.confirmed) return bill;
      if (Date.now() > deadline)
        throw new VppTimeoutError(`no confirmed bill of ${address} for interval ${interval}`);
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
    }
  }
}
