// One DNS query message in, one response message out (dns-packet does the wire format):
// standard queries with one question are looked up in the zone; other opcodes get NOTIMP,
// malformed ones FORMERR. Cluster answers are authoritative; recursion is never available
// (nothing is forwarded). EDNS0 is echoed; a UDP answer larger than the client accepts is
// truncated (TC) so that it retries over TCP.
import dnsPacket, { type Answer, type DecodedPacket, type Packet } from 'dns-packet';
import { lookup, type Rcode, type Zone } from './zone.ts';

/** RFC 1035 §4.1.1 response codes (the low four bits of the flags). */
const RCODES: Record<Rcode, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
/** The classic UDP limit without EDNS0 (RFC 1035 §2.3.4). */
const CLASSIC_UDP_SIZE = 512;
/** The EDNS0 buffer size we advertise and honour at most (DNS flag day 2020). */
const EDNS_UDP_SIZE = 1232;

type Decoded = DecodedPacket & { opcode?: string };

function opt(): Answer {
  return { type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
}

/** A bare error response carrying the query's id (and question when there is one). */
function errorResponse(id: number, rcode: Rcode, query?: Decoded): Buffer {
  return dnsPacket.encode({ type: 'response', id, flags: RCODES[rcode] | (query?.flag_rd ? dnsPacket.RECURSION_DESIRED : 0), questions: query?.questions ?? [] });
}

/** The response to `msg`, or undefined when it is not worth one (too short, or itself a response). */
export function respond(zone: Zone, msg: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
  if (msg.length < 12) return undefined;
  let query: Decoded;
  try {
    query = dnsPacket.decode(msg) as Decoded;
  } catch {
    return errorResponse(msg.readUInt16BE(0), 'FORMERR');
  }
  if (query.flag_qr) return undefined;
  const id = query.id ?? 0;
  if (query.opcode !== 'QUERY') return errorResponse(id, 'NOTIMP', query);
  if (query.questions?.length !== 1) return errorResponse(id, 'FORMERR', query);
  const q = query.questions[0]!;
  const edns = (query.additionals ?? []).find((a) => a.type === 'OPT') as (Answer & { udpPayloadSize?: number }) | undefined;
  const r = q.class === undefined || q.class === 'IN' || q.class === 'ANY' ? lookup(zone, q) : { rcode: 'REFUSED' as const, authoritative: false, answers: [], authorities: [], additionals: [] };
  const flags = (r.authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | RCODES[r.rcode];
  const response: Packet = {
    type: 'response',
    id,
    flags,
    questions: [q],
    answers: r.answers,
    authorities: r.authorities,
    additionals: [...r.additionals, ...(edns ? [opt()] : [])],
  };
  if (transport === 'udp') {
    const limit = edns ? Math.min(Math.max(edns.udpPayloadSize ?? CLASSIC_UDP_SIZE, CLASSIC_UDP_SIZE), EDNS_UDP_SIZE) : CLASSIC_UDP_SIZE;
    if (dnsPacket.encodingLength(response) > limit) {
      return dnsPacket.encode({ ...response, flags: flags | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [], additionals: edns ? [opt()] : [] });
    }
  }
  return dnsPacket.encode(response);
}
