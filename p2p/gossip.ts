// Gossip validation (gossipsub with asyncValidation): every message gets exactly one verdict, and no
// failure escapes as an exception. BlockError and TxError carry the verdict: reject (never forwarded, the
// sender is penalised) or ignore (not forwarded, no penalty; an orphan block also starts a catch-up with
// its sender). Undecodable data is a reject (an undecodable block is also counted with the refused blocks,
// code DECODE). Anything else is a failure of ours, not the sender's: the message is ignored (what we
// could not judge is not forwarded), the sender is not penalised, and the error is reported with its
// context (peer, topic, message id, block or transaction). A peer record (discovery) is accepted if it
// parses, else rejected as undecodable. A block that passed its proof of work and became a candidate
// head, or was held as future, also tells the host when it arrived (the clock check).
import { type GossipsubMessage, TopicValidatorResult } from '@libp2p/gossipsub';
import { type Block, type BlockHeader, decodeBlock, headerHash } from '../protocol/block.ts';
import { DecodeError, toHex } from '../protocol/bytes.ts';
import { BlockError, BlockErrorCode, TxError } from '../protocol/errors.ts';
import { envelopeFromBytes, type TxEnvelope } from '../protocol/tx.ts';
import { peerRecordProblem } from './discovery.ts';
import type { BlockArrival, GossipHost } from './host.ts';
import { PeerAction } from './peers.ts';

/** A verdict and what follows from it for the sender. */
interface Judgement {
  result: TopicValidatorResult;
  /** Why the sender is penalised (a fatal offence); set only with a reject. */
  offence?: string;
  /** The block's parent is unknown to us. */
  orphan?: boolean;
  /** A block with valid proof of work that became a candidate head or was held as future. */
  arrival?: { header: BlockHeader; outcome: BlockArrival };
  /** Why a block could not be decoded (counted with the refused blocks). */
  undecodableBlock?: string;
}

const ACCEPT: Judgement = { result: TopicValidatorResult.Accept };
const IGNORE: Judgement = { result: TopicValidatorResult.Ignore };
const offence = (reason: string): Judgement => ({ result: TopicValidatorResult.Reject, offence: reason });

/** What a message turned out to carry, for the context of an error report. */
interface Subject {
  blockHash?: string;
  txId?: string;
}

export class GossipValidator {
  private readonly host: GossipHost;
  private readonly now: () => number;

  constructor(host: GossipHost, now: () => number = Date.now) {
    this.host = host;
    this.now = now;
  }

  /** Judges one message and hands gossipsub the verdict; never rejects. */
  async validate(msg: GossipsubMessage): Promise<void> {
    const peer = msg.propagationSource.toString();
    const arrivedAt = this.now();
    const { topic, data } = msg.msg;
    const subject: Subject = {};
    const fail = (error: unknown) =>
      this.host.internalError({ activity: 'gossip', error, peer, topic, msgId: msg.msgId, ...subject });
    let judgement: Judgement;
    try {
      judgement = await this.judge(topic, data, subject, peer);
    } catch (error) {
      fail(error);
      judgement = IGNORE;
    }
    try {
      this.host.report(msg.msgId, peer, judgement.result);
      if (judgement.undecodableBlock)
        this.host.refuseUndecodable(`undecodable gossip block from ${peer}: ${judgement.undecodableBlock}`);
      if (judgement.offence) this.host.penalise(peer, PeerAction.Fatal, judgement.offence);
      if (judgement.orphan) this.host.fetchAncestors(msg.propagationSource);
      if (judgement.arrival)
        this.host.blockArrived(peer, judgement.arrival.header, judgement.arrival.outcome, arrivedAt);
    } catch (error) {
      fail(error);
    }
  }

  /** Throws only for failures of ours; a sender's fault is a judgement. */
  private judge(topic: string, data: Uint8Array, subject: Subject, peer: string): Promise<Judgement> {
    if (topic === this.host.names.blocksTopic) return this.judgeBlock(data, subject, peer);
    if (topic === this.host.names.txsTopic) return this.judgeTx(data, subject);
    if (topic === this.host.names.peersTopic) {
      // A peer record (discovery.ts): forwarded if well formed; what it claims is checked by dialling it.
      const problem = peerRecordProblem(data);
      return Promise.resolve(problem ? offence(`malformed peer record: ${problem}`) : ACCEPT);
    }
    // gossipsub's allowedTopics keeps other topics out; nothing here to forward either way.
    return Promise.resolve({ result: TopicValidatorResult.Reject });
  }

  private async judgeBlock(data: Uint8Array, subject: Subject, peer: string): Promise<Judgement> {
    let block: Block;
    try {
      block = decodeBlock(data, this.host.blockLimits);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return { ...offence(`undecodable block: ${err.message}`), undecodableBlock: err.message };
    }
    subject.blockHash = toHex(headerHash(block.header));
    try {
      const outcome = await this.host.importBlock(block, peer);
      return { ...ACCEPT, arrival: { header: block.header, outcome } };
    } catch (err) {
      if (!(err instanceof BlockError)) throw err;
      if (err.verdict === 'reject') return offence(`invalid block: ${err}`);
      if (err.code === BlockErrorCode.TIMESTAMP_IN_FUTURE)
        return { ...IGNORE, arrival: { header: block.header, outcome: 'future' } };
      return { ...IGNORE, orphan: err.code === BlockErrorCode.ORPHAN };
    }
  }

  private async judgeTx(data: Uint8Array, subject: Subject): Promise<Judgement> {
    let env: TxEnvelope;
    try {
      env = envelopeFromBytes(data);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return offence(`undecodable transaction: ${err.message}`);
    }
    subject.txId = env.id;
    try {
      await this.host.admitTx(env);
      return ACCEPT;
    } catch (err) {
      if (!(err instanceof TxError)) throw err;
      return err.verdict === 'reject' ? offence(`invalid transaction: ${err}`) : IGNORE;
    }
  }
}
