// Auctions, bills and committed schedules: what VPP operators and the grid operator read once consensus
// has confirmed it.
import type { FastifyInstance } from 'fastify';
import {
  auctionView,
  billsOf,
  billsOfInterval,
  billView,
  currentInterval,
  scheduleEntryView,
  scheduleOf,
} from '../contracts-vm/queries.ts';
import { isAddress } from '../protocol/keys.ts';
import { badRequest, errorResponses } from './errors.ts';
import type { NodePort } from './port.ts';

const MAX_SPAN = 1000;
const minConfirmations = {
  type: 'string',
  pattern: '^[0-9]{1,4}$',
  description: 'confirmations that make a bill confirmed (default: genesis market.minConfirmations)',
} as const;
const u64String = { type: 'string', pattern: '^(0|[1-9][0-9]{0,18})$' } as const;
const confirmation = {
  type: ['object', 'null'],
  properties: { height: { type: 'integer' }, confirmations: { type: 'integer' } },
} as const;
const bill = {
  type: 'object',
  properties: {
    vpp: { type: 'string' },
    interval: { type: 'string' },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        properties: { kind: { type: 'string' }, wh: { type: 'string' }, amount: { type: 'string' } },
      },
    },
    total: { type: 'string', description: 'sum of the line amounts in base units: + received, - paid' },
    meteredWh: { type: ['string', 'null'], description: 'metered net position, Wh: + export, - import' },
    committedWh: {
      type: ['string', 'null'],
      description: 'the position committed for the interval when it was metered (null: none, counted as 0)',
    },
    deviationWh: {
      type: ['string', 'null'],
      description: 'meteredWh - committedWh: settled against the traded position at the imbalance prices',
    },
    clearing: confirmation,
    metering: confirmation,
    confirmed: { type: 'boolean' },
  },
} as const;

const address = { type: 'string', pattern: '^0x[0-9a-f]{40}$' } as const;
const side = { type: 'string', enum: ['buy', 'sell'] } as const;
const basePerKwh = { type: 'integer', description: 'token base units per kWh' } as const;
const auction = {
  type: 'object',
  required: ['interval', 'window', 'status', 'prices', 'bidCount', 'bids', 'clearing'],
  properties: {
    interval: { type: 'string' },
    window: {
      type: 'object',
      description: 'ms since the Unix epoch (chain time)',
      required: ['open', 'close', 'deliveryStart', 'deliveryEnd'],
      properties: {
        open: { type: 'integer', description: 'bids for the interval are first accepted' },
        close: {
          type: 'integer',
          description: 'the gate: the first block at or after it clears the interval',
        },
        deliveryStart: { type: 'integer' },
        deliveryEnd: { type: 'integer' },
      },
    },
    status: {
      type: 'string',
      enum: ['open', 'closed', 'cleared', 'empty'],
      description: 'closed: past the gate, not cleared yet; empty: no bids',
    },
    prices: {
      type: 'object',
      required: ['gridSellPrice', 'gridBuyPrice', 'imbalanceShortPrice', 'imbalanceLongPrice'],
      properties: {
        gridSellPrice: basePerKwh,
        gridBuyPrice: basePerKwh,
        imbalanceShortPrice: basePerKwh,
        imbalanceLongPrice: basePerKwh,
      },
    },
    bidCount: { type: 'integer' },
    bids: {
      type: ['array', 'null'],
      description: 'null until the gate has closed',
      items: {
        type: 'object',
        required: ['vpp', 'side', 'steps', 'height'],
        properties: {
          vpp: address,
          side,
          steps: {
            type: 'array',
            items: {
              type: 'object',
              required: ['qty', 'price'],
              properties: { qty: { type: 'integer', description: 'Wh' }, price: basePerKwh },
            },
          },
          height: { type: 'integer', description: 'block that placed the bid' },
        },
      },
    },
    clearing: {
      type: ['object', 'null'],
      description: 'null until cleared; money in token base units',
      required: [
        'height',
        'tradedWh',
        'welfare',
        'deficit',
        'grid',
        'operatorNet',
        'unpaid',
        'participants',
        'excluded',
      ],
      properties: {
        height: { type: 'integer' },
        tradedWh: u64String,
        welfare: u64String,
        deficit: {
          ...u64String,
          description: 'VCG deficit, funded by the market operator (the grid account)',
        },
        grid: {
          type: 'object',
          required: ['soldWh', 'boughtWh', 'revenue', 'expense'],
          properties: { soldWh: u64String, boughtWh: u64String, revenue: u64String, expense: u64String },
        },
        operatorNet: { type: 'string', pattern: '^-?[0-9]{1,20}$' },
        unpaid: u64String,
        participants: {
          type: 'array',
          items: {
            type: 'object',
            required: ['vpp', 'side', 'qtyWh', 'payment', 'gridWh', 'gridPayment'],
            properties: {
              vpp: address,
              side,
              qtyWh: u64String,
              payment: { ...u64String, description: "VCG payment: a buyer's to pay, a seller's to receive" },
              gridWh: { ...u64String, description: 'Wh left to the grid at its prices' },
              gridPayment: u64String,
            },
          },
        },
        excluded: { type: 'array', items: address, description: 'bidders no longer active VPPs at the gate' },
      },
    },
  },
} as const;

export async function marketRoutes(app: FastifyInstance, opts: { node: NodePort }): Promise<void> {
  const { node } = opts;
  const params = node.params;

  app.get<{ Params: { interval: string } }>(
    '/v1/auctions/:interval',
    {
      schema: {
        tags: ['market'],
        operationId: 'getAuction',
        summary:
          'An auction interval: window, status, prices, bids once closed, and the clearing (trades, VCG payments, grid residual, deficit)',
        params: {
          type: 'object',
          required: ['interval'],
          properties: { interval: { anyOf: [u64String, { type: 'string', enum: ['current', 'next'] }] } },
        },
        response: { 200: auction, ...errorResponses },
      },
    },
    async (req) => {
      const head = node.chain.tip.header.timestamp;
      const now = currentInterval(params, head);
      const k =
        req.params.interval === 'current'
          ? now
          : req.params.interval === 'next'
            ? now + 1n
            : BigInt(req.params.interval);
      if (k < 0n) throw badRequest('interval before genesis');
      return auctionView(node.chain.headState, params, k, head);
    },
  );

  app.get<{
    Params: { address: string };
    Querystring: { from?: string; to?: string; minConfirmations?: string };
  }>(
    '/v1/bills/:address',
    {
      schema: {
        tags: ['market'],
        operationId: 'getVppBills',
        summary:
          "A VPP's bills per interval, each with its line items, clearing and metering blocks and their confirmations",
        params: {
          type: 'object',
          required: ['address'],
          properties: { address: { type: 'string', pattern: '^0x[0-9a-f]{40}$' } },
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: u64String,
            to: u64String,
            minConfirmations,
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              vpp: { type: 'string' },
              from: { type: 'string' },
              to: { type: 'string' },
              minConfirmations: { type: 'integer' },
              bills: { type: 'array', items: bill },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { address } = req.params;
      if (!isAddress(address)) throw badRequest('address must be 0x + 40 lowercase hex digits');
      const now = currentInterval(params, node.chain.tip.header.timestamp);
      const to = req.query.to !== undefined ? BigInt(req.query.to) : now;
      const from =
        req.query.from !== undefined
          ? BigInt(req.query.from)
          : to - BigInt(MAX_SPAN - 1) < 0n
            ? 0n
            : to - BigInt(MAX_SPAN - 1);
      if (from > to) throw badRequest('`from` must not be after `to`');
      if (to - from >= BigInt(MAX_SPAN)) throw badRequest(`at most ${MAX_SPAN} intervals per request`);
      const min =
        req.query.minConfirmations === undefined
          ? params.market.minConfirmations
          : Number(req.query.minConfirmations);
      const tip = node.chain.height;
      return {
        vpp: address,
        from: from.toString(),
        to: to.toString(),
        minConfirmations: min,
        bills: billsOf(node.chain.headState, address, from, to).map((b) => billView(b, tip, min)),
      };
    },
  );

  app.get<{ Querystring: { interval: string; minConfirmations?: string } }>(
    '/v1/bills',
    {
      schema: {
        tags: ['market'],
        operationId: 'getIntervalBills',
        summary: 'All bills of one interval (for the grid operator)',
        querystring: {
          type: 'object',
          required: ['interval'],
          additionalProperties: false,
          properties: {
            interval: u64String,
            minConfirmations,
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              interval: { type: 'string' },
              minConfirmations: { type: 'integer' },
              bills: { type: 'array', items: bill },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const k = BigInt(req.query.interval);
      const min =
        req.query.minConfirmations === undefined
          ? params.market.minConfirmations
          : Number(req.query.minConfirmations);
      const tip = node.chain.height;
      return {
        interval: k.toString(),
        minConfirmations: min,
        bills: billsOfInterval(node.chain.headState, k).map((b) => billView(b, tip, min)),
      };
    },
  );

  app.get<{ Params: { address: string }; Querystring: { from?: string; to?: string } }>(
    '/v1/schedules/:address',
    {
      schema: {
        tags: ['market'],
        operationId: 'getSchedule',
        summary:
          "A VPP's committed day-ahead schedule: per interval the net position (Wh, + export / - import) metering measures against, the block that committed it and when, and whether it can still be revised",
        params: {
          type: 'object',
          required: ['address'],
          properties: { address: { type: 'string', pattern: '^0x[0-9a-f]{40}$' } },
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { ...u64String, description: 'first interval (default: the one in delivery)' },
            to: { ...u64String, description: `last interval (default: from + ${MAX_SPAN - 1})` },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              vpp: { type: 'string' },
              from: { type: 'string' },
              to: { type: 'string' },
              intervals: {
                type: 'array',
                description: 'the intervals of from..to with a committed position, ascending',
                items: {
                  type: 'object',
                  properties: {
                    interval: { type: 'string' },
                    committedWh: { type: 'string' },
                    height: { type: 'integer', description: 'block of the latest commitment' },
                    confirmations: { type: 'integer' },
                    committedAt: {
                      type: ['integer', 'null'],
                      description: "that block's timestamp, ms (null: no main-chain block at that height)",
                    },
                    closesAt: {
                      type: 'integer',
                      description: "ms: the interval's bidding window opens and the position becomes final",
                    },
                    final: { type: 'boolean' },
                  },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { address } = req.params;
      if (!isAddress(address)) throw badRequest('address must be 0x + 40 lowercase hex digits');
      const tip = node.chain.tip;
      const state = node.chain.headState;
      const head = { height: tip.header.height, timestamp: tip.header.timestamp };
      const now = currentInterval(params, head.timestamp);
      const from = req.query.from !== undefined ? BigInt(req.query.from) : now < 0n ? 0n : now;
      const to = req.query.to !== undefined ? BigInt(req.query.to) : from + BigInt(MAX_SPAN - 1);
      if (from > to) throw badRequest('`from` must not be after `to`');
      if (to - from >= BigInt(MAX_SPAN)) throw badRequest(`at most ${MAX_SPAN} intervals per request`);
      const entries = scheduleOf(state, address, from, to);
      // One commitment covers many intervals: each height's block is looked up once.
      const times = new Map<number, number | null>();
      for (const e of entries)
        if (!times.has(e.height))
          times.set(e.height, (await node.chain.getMainNode(e.height))?.header.timestamp ?? null);
      return {
        vpp: address,
        from: from.toString(),
        to: to.toString(),
        intervals: entries.map((e) => scheduleEntryView(e, params, head, times.get(e.height) ?? null)),
      };
    },
  );
}
