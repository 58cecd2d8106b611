// GET /v1/vpps: what the VPP agents beside this network publish about themselves (day-ahead results,
// savings) for the dashboard. It is not chain data: the node serves a JSON file that the agents write
// (`vppchain node --vpp-file FILE`), validated on every read.
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { ApiErrorCode } from '../client/errors.ts';
import { ApiError, errorResponses } from './errors.ts';

const num = { type: ['number', 'null'] } as const;
const series = { type: 'array', maxItems: 2000, items: num } as const;
export const vppSummarySchema = {
  type: 'object',
  required: ['vpps'],
  additionalProperties: false,
  properties: {
    updated: { type: 'number' },
    vpps: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['name', 'address'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', maxLength: 64 },
          address: { type: 'string', pattern: '^0x[0-9a-f]{40}$' },
          mix: { type: 'string', maxLength: 64 },
          prosumers: { type: 'integer' },
          framework: { type: 'string', maxLength: 32 },
          intervals: { type: 'integer' },
          traditionalCost: num,
          p2pCost: num,
          savings: num,
          prices: series,
          soc: series,
          net: series,
        },
      },
    },
  },
} as const;

export async function vppRoutes(app: FastifyInstance, opts: { file?: string }): Promise<void> {
  app.get(
    '/v1/vpps',
    {
      schema: {
        tags: ['market'],
        summary: "VPP agents' published day-ahead results and savings (not chain data)",
        response: { 200: vppSummarySchema, ...errorResponses },
      },
    },
    async () => {
      if (!opts.file)
        throw new ApiError(
          404,
          ApiErrorCode.NOT_FOUND,
          'this node serves no VPP summary (start it with --vpp-file)',
        );
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(opts.file, 'utf8'));
      } catch {
        throw new ApiError(404, ApiErrorCode.NOT_FOUND, 'no VPP summary published yet');
      }
      // The file is written by agents beside the node, not by consensus: check its shape before serving it.
      // (The reply schema then serialises only the documented fields.)
      const o = parsed as { vpps?: unknown };
      const wellFormed =
        typeof o === 'object' &&
        o !== null &&
        Array.isArray(o.vpps) &&
        o.vpps.length <= 1000 &&
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
}
