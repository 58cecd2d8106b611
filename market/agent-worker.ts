// Worker-thread host for a group of prosumer agents: the private data lives here, and only the market's
// messages cross the thread boundary (packed per destination group, buffers transferred: peer/packet.ts).
import { parentPort } from 'node:worker_threads';
import { AgentGroup, type GroupSetup, type PeerTick } from './agent-group.ts';
import { transferList } from './peer/packet.ts';

let group: AgentGroup | undefined;

type Request =
  | { op: 'init'; setup: GroupSetup }
  | { op: 'alone' }
  | { op: 'tick'; incoming: Parameters<AgentGroup['tick']>[0] }
  | { op: 'report' }
  | { op: 'prices' }
  | { op: 'agreements' };

parentPort!.on('message', (req: Request) => {
  try {
    let value: unknown;
    if (req.op === 'init') {
      group = new AgentGroup(req.setup);
      value = true;
    } else if (!group) {
      throw new Error('worker used before init');
    } else if (req.op === 'alone') value = group.solveAlone();
    else if (req.op === 'tick') {
      const tick: PeerTick = group.tick(req.incoming);
      parentPort!.postMessage({ ok: true, value: tick }, transferList(tick.outgoing));
      return;
    } else if (req.op === 'report') value = group.report();
    else if (req.op === 'prices') value = group.bilateralPrices();
    else value = group.agreements();
    parentPort!.postMessage({ ok: true, value });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: (err as Error).message });
  }
});
