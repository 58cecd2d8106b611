// GET /v1/vpps: what the VPP agents beside this network publish about their run (its phase and progress,
// every completed interval, day-ahead results, costs and savings per VPP and prosumer) for the dashboard;
// GET /v1/vpps/exports/:file: the run's CSV files for download. It is not chain data: the node serves a
// JSON file that the agents write (`vppchain node --vpp-file FILE`), validated on every read, and the CSVs
// the agents keep beside it (in exports/).
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ApiErrorCode } from '../client/errors.ts';
import { ApiError, errorResponses } from './errors.ts';

/** A run's phase: starting (nodes), day-ahead (markets solving), running (intervals), finished, stopped. */
export type RunPhase = 'starting' | 'day-ahead' | 'running' | 'finished' | 'stopped';

export interface PublishedVppInterval {
  name: string;
  /** Deviation the bid was built on, Wh (+ surplus / − shortfall). */
  deviationWh: number;
  side: 'buy' | 'sell' | null;
  bidWh: number;
  /** Traded in the auction (Wh) and the VCG payment, base units (+ paid / − received). */
  tradedWh: string;
  paymentUnits: string;
  /** Left to the grid at its prices (Wh) and that payment (+ paid / − received). */
  gridWh: string;
  gridPaymentUnits: string;
  /** What the VPP's own batteries covered of its bid (Wh): no bill for it, it was cheaper than the grid. */
  ownWh: number;
  /** The confirmed bill's total, base units, + received / − paid (null: none yet). */
  billUnits: string | null;
}

export interface PublishedInterval {
  /** 1, 2, ... from the run's start. */
  n: number;
  /** The chain's interval number. */
  interval: string;
  /** Minute of the simulated day (from 00:00 of the run's first day) where it starts. */
  minute: number;
  tradedWh: string;
  deficitUnits: string;
  gridSoldWh: string;
  gridBoughtWh: string;
  /** The grid's prices for the interval, base units per kWh. */
  gridSellPrice: number;
  gridBuyPrice: number;
  clearingHeight: number | null;
  vpps: PublishedVppInterval[];
}

export interface PublishedVpp {
  name: string;
  address: string;
  label?: string;
  mix?: string;
  prosumers?: number;
  framework?: string;
  intervals?: number;
  /** The day-ahead market's progress (loading state), then its outcome. */
  dayAhead?: {
    status: 'waiting' | 'solving' | 'done';
    iteration: number;
    maxIterations: number;
    relativeImbalance: number | null;
    certifiedGap: number | null;
    converged: boolean | null;
    seconds: number | null;
  };
  /** GBP over the intervals so far: traditional, P2P (day-ahead share + real time), saving. */
  traditionalCost?: number | null;
  p2pCost?: number | null;
  savings?: number | null;
  /** Day-ahead series per period (periodMinutes each): internal price GBP/kWh, SoC kWh, net import kWh. */
  periodMinutes?: number;
  prices?: (number | null)[];
  soc?: (number | null)[];
  net?: (number | null)[];
  prosumerCosts?: { id: string; traditional: number; p2p: number; saving: number }[];
}

export interface PublishedRun {
  updated?: number;
  run?: {
    name: string;
    phase: RunPhase;
    message?: string;
    framework: string;
    startMinute: number;
    minutesPerInterval: number;
    intervalMs: number;
    /** Intervals asked for (0: until stopped), and completed. */
    intervals: number;
    completed: number;
  };
  intervals?: PublishedInterval[];
  vpps: PublishedVpp[];
}

const num = { type: ['number', 'null'] } as const;
const int = { type: 'integer' } as const;
const units = { type: 'string', pattern: '^-?\\d{1,30}$' } as const;
const series = { type: 'array', maxItems: 2000, items: num } as const;
const name = { type: 'string', maxLength: 64 } as const;

const vppIntervalSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name,
    deviationWh: int,
    side: { type: ['string', 'null'], enum: ['buy', 'sell', null] },
    bidWh: int,
    tradedWh: units,
    paymentUnits: units,
    gridWh: units,
    gridPaymentUnits: units,
    ownWh: int,
    billUnits: { type: ['string', 'null'], pattern: '^-?\\d{1,30}$' },
  },
} as const;

export const vppSummarySchema = {
  type: 'object',
  required: ['vpps'],
  additionalProperties: false,
  properties: {
    updated: { type: 'number' },
    run: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: { type: 'string', maxLength: 200 },
        phase: { type: 'string', enum: ['starting', 'day-ahead', 'running', 'finished', 'stopped'] },
        message: { type: 'string', maxLength: 500 },
        framework: { type: 'string', maxLength: 32 },
        startMinute: int,
        minutesPerInterval: int,
        intervalMs: int,
        intervals: int,
        completed: int,
      },
    },
    intervals: {
      type: 'array',
      maxItems: 2000,
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          n: int,
          interval: units,
          minute: int,
          tradedWh: units,
          deficitUnits: units,
          gridSoldWh: units,
          gridBoughtWh: units,
          gridSellPrice: int,
          gridBuyPrice: int,
          clearingHeight: { type: ['integer', 'null'] },
          vpps: { type: 'array', maxItems: 100, items: vppIntervalSchema },
        },
      },
    },
    vpps: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['name', 'address'],
        additionalProperties: false,
        properties: {
          name,
          address: { type: 'string', pattern: '^0x[0-9a-f]{40}$' },
          label: { type: 'string', maxLength: 64 },
          mix: { type: 'string', maxLength: 64 },
          prosumers: int,
          framework: { type: 'string', maxLength: 32 },
          intervals: int,
          dayAhead: {
            type: 'object',
            additionalProperties: false,
            properties: {
              status: { type: 'string', enum: ['waiting', 'solving', 'done'] },
              iteration: int,
              maxIterations: int,
              relativeImbalance: num,
              certifiedGap: num,
              converged: { type: ['boolean', 'null'] },
              seconds: num,
            },
          },
          traditionalCost: num,
          p2pCost: num,
          savings: num,
          periodMinutes: { type: 'number' },
          prices: series,
          soc: series,
          net: series,
          prosumerCosts: {
            type: 'array',
            maxItems: 1000,
            items: {
              type: 'object',
              additionalProperties: false,
              properties: { id: name, traditional: num, p2p: num, saving: num },
            },
          },
        },
      },
    },
  },
} as const;

/** The CSV files a run keeps beside its published file (exports/), offered by the dashboard. */
export const EXPORT_FILES = ['intervals.csv', 'bills.csv', 'savings.csv'] as const;

export async function vppRoutes(app: FastifyInstance, opts: { file?: string }): Promise<void> {
  const noFile = () =>
    new ApiError(404, ApiErrorCode.NOT_FOUND, 'this node serves no VPP summary (start it with --vpp-file)');
  app.get(
    '/v1/vpps',
    {
      schema: {
        tags: ['market'],
        operationId: 'getVppRun',
        summary:
          "VPP agents' published run: phase, intervals, day-ahead results, costs and savings (not chain data)",
        response: { 200: vppSummarySchema, ...errorResponses },
      },
    },
    async () => {
      if (!opts.file) throw noFile();
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(opts.file, 'utf8'));
      } catch {
        throw new ApiError(404, ApiErrorCode.NOT_FOUND, 'no VPP summary published yet');
      }
      // The file is written by agents beside the node, not by consensus: check its shape before serving it.
      // (The reply schema then serialises only the documented fields.)
      const o = parsed as { vpps?: unknown; intervals?: unknown };
      const wellFormed =
        typeof o === 'object' &&
        o !== null &&
        Array.isArray(o.vpps) &&
        o.vpps.length <= 1000 &&
        (o.intervals === undefined || (Array.isArray(o.intervals) && o.intervals.length <= 2000)) &&
        o.vpps.every(
          (v: unknown) =>
            typeof v === 'object' &&
            v !== null &&
            typeof (v as { name?: unknown }).name === 'string' &&
            /^0x[0-9a-f]{40}$/.test(String((v as { address?: unknown }).address)),
        );
      if (!wellFormed) throw new ApiError(503, ApiErrorCode.UNAVAILABLE, 'the VPP summary file is malformed');
      return parsed;
    },
  );
  app.get<{ Params: { file: string } }>(
    '/v1/vpps/exports/:file',
    {
      schema: {
        tags: ['market'],
        operationId: 'getVppExport',
        summary: "The run's CSV files (intervals, bills per VPP and prosumer, savings), for download",
        params: {
          type: 'object',
          required: ['file'],
          properties: { file: { type: 'string', enum: [...EXPORT_FILES] } },
        },
        response: {
          200: {
            description: 'the CSV file (an attachment)',
            content: { 'text/csv': { schema: { type: 'string' } } },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      if (!opts.file) throw noFile();
      let text: string;
      try {
        text = await readFile(join(dirname(opts.file), 'exports', req.params.file), 'utf8');
      } catch {
        throw new ApiError(404, ApiErrorCode.NOT_FOUND, `${req.params.file} has not been written yet`);
      }
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${req.params.file}"`)
        .header('cache-control', 'no-cache')
        .send(text);
    },
  );
}
