// Worker-thread host for a group of prosumer agents: the private data lives here, and only the market's
// messages cross the thread boundary.
import { parentPort } from 'node:worker_threads';
import { AgentGroup, type GroupSetup } from './agent-group.ts';

let group: AgentGroup | undefined;

type Request =
  | { op: 'init'; setup: GroupSetup }
  | { op: 'alone' }
  | { op: 'peer'; inbox: Parameters<AgentGroup['peerStep']>[0]; rho: number }
  | { op: 'report' }
  | { op: 'prices' };

parentPort!.on('message', (req: Request) => {
  try {
    let value: unknown;
    if (req.op === 'init') {
      group = new AgentGroup(req.setup);
      value = true;
    } else if (!group) {
      throw new Error('worker used before init');
    } else if (req.op === 'alone') value = group.solveAlone();
    else if (req.op === 'peer') value = group.peerStep(req.inbox, req.rho);
    else if (req.op === 'report') value = group.report();
    else value = group.bilateralPrices();
    parentPort!.postMessage({ ok: true, value });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: (err as Error).message });
  }
});
