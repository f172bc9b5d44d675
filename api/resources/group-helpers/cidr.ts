// CIDR parsing for NetworkPolicy ipBlocks (netutils.ParseCIDRSloppy and validation.IsValidCIDR).
import type { FieldError } from '../../errors.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isIPv4, isIPv6 } from '../../validation/names.ts';

export interface Cidr {
  bits: 32 | 128;
  /** The network address (host bits cleared). */
  network: bigint;
  prefix: number;
}

function v4ToBig(ip: string): bigint {
  return ip.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function v6ToBig(ip: string): bigint {
  let s = ip;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = v4ToBig(tail);
    s = `${s.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [left, right] = s.includes('::') ? s.split('::') : [s, undefined];
  const l = left ? left.split(':') : [];
  const r = right ? right.split(':') : [];
  const groups = right === undefined ? l : [...l, ...Array(8 - l.length - r.length).fill('0'), ...r];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function parseCidr(value: string): Cidr | undefined {
  const slash = value.indexOf('/');
  if (slash < 0) return undefined;
  const ip = value.slice(0, slash);
  const prefixText = value.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  let bits: 32 | 128;
  let addr: bigint;
  if (isIPv4(ip)) {
    bits = 32;
    addr = v4ToBig(ip);
  } else if (isIPv6(ip)) {
    bits = 128;
    addr = v6ToBig(ip);
  } else return undefined;
  if (prefix > bits) return undefined;
  const hostBits = BigInt(bits - prefix);
  const network = (addr >> hostBits) << hostBits;
  return { bits, network, prefix };
}

/** Whether `inner`'s network address lies in `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.bits !== inner.bits) return false;
  const hostBits = BigInt(outer.bits - outer.prefix);
  return inner.network >> hostBits === outer.network >> hostBits;
}

export function validateCidr(value: string, path: string): FieldError[] {
  return parseCidr(value) ? [] : [fieldErrors.invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
}
