// What the in-browser verifier's modules share: the failure with its stable code (the same
// codes as `python -m ballots.verify`), hex, RFC 8785 for the trust's JSON, RFC 9162 hashing
// of streamed JSON Lines. SHA-256 is the audited @noble/hashes (synchronous, so a 20,000-line
// file hashes without 40,000 round trips through WebCrypto's promises).
import { sha256 } from "../vendor/noble-hashes/sha2.js";

export class Fail extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export const enc = new TextEncoder();
export const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, "0")).join("");
export const HEX64 = /^[0-9a-f]{64}$/;
export const isHex64 = (s) => typeof s === "string" && HEX64.test(s);

export function unhex(s, what) {
  if (!isHex64(s)) throw new Fail("format", `${what} is not 64 hex`);
  return Uint8Array.from(s.match(/../g), (h) => parseInt(h, 16));
}

export const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
export const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// RFC 8785 for the JSON the trust publishes: integers only, ASCII keys.
export function canon(v) {
  if (v === null || typeof v === "boolean") return JSON.stringify(v);
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new Fail("canonical", `number ${v} is not a safe integer`);
    return String(v);
  }
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return "[" + v.map(canon).join(",") + "]";
  const keys = Object.keys(v).sort();
  return "{" + keys.map((k) => JSON.stringify(k) + ":" + canon(v[k])).join(",") + "}";
}

export const sha256Hex = (obj) => hex(sha256(enc.encode(canon(obj))));
export const leafHash = (bytes) => sha256(concat([0], bytes));
const nodeHash = (l, r) => sha256(concat([1], l, r));

// RFC 9162 root of a stream of leaves, with a stack of complete subtrees (O(log n) memory).
export class MerkleStream {
  constructor() {
    this.stack = [];
    this.size = 0;
  }

  push(leaf) {
    let h = leaf;
    let height = 0;
    while (this.stack.length && this.stack[this.stack.length - 1][0] === height) {
      h = nodeHash(this.stack.pop()[1], h);
      height += 1;
    }
    this.stack.push([height, h]);
    this.size += 1;
  }

  root() {
    if (!this.stack.length) return hex(sha256(new Uint8Array(0)));
    let r = this.stack[this.stack.length - 1][1];
    for (let i = this.stack.length - 2; i >= 0; i--) r = nodeHash(this.stack[i][1], r);
    return hex(r);
  }
}

const MAX_LINE = 1 << 16;
const strict = new TextDecoder("utf-8", { fatal: true });

// The lines of a JSONL file as bytes (the leaf) and its checked record, read as a stream:
// each line ends in \n, is at most 64 KiB, and is exactly the canonical form of its record.
export async function* jsonLines(file, name) {
  const kind = name.split(".")[0];
  const reader = file.stream().getReader();
  let rest = new Uint8Array(0);
  let number = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const buf = rest.length ? concat(rest, value) : value;
    let start = 0;
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, start)) {
      number += 1;
      const line = buf.subarray(start, i);
      if (line.length > MAX_LINE) throw new Fail(`${kind}.line`, `${name} line ${number} is over ${MAX_LINE} bytes`);
      let record;
      let again;
      try {
        const text = strict.decode(line);
        record = JSON.parse(text);
        again = canon(record);
        if (again !== text) throw new Fail(`${kind}.canonical`, `${name} line ${number} is not in canonical JSON form`);
      } catch (err) {
        if (err instanceof Fail && err.code === `${kind}.canonical`) throw err;
        throw new Fail(`${kind}.json`, `${name} line ${number} is not valid: ${err.message}`);
      }
      yield { number, line, record };
      start = i + 1;
    }
    rest = buf.slice(start);
    if (rest.length > MAX_LINE) throw new Fail(`${kind}.line`, `${name} line ${number + 1} is over ${MAX_LINE} bytes`);
  }
  if (rest.length) throw new Fail(`${kind}.line`, `${name} line ${number + 1} has no final newline`);
}

export const mismatch = (code, what, claimed, actual) =>
  new Fail(code, `${what} mismatch: result says ${claimed}, bundle gives ${actual}`);

const exactKeys = (obj, keys) =>
  obj !== null && typeof obj === "object" && !Array.isArray(obj)
  && Object.keys(obj).length === keys.length && keys.every((k) => Object.hasOwn(obj, k));
export { exactKeys };

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
export const isTime = (s) => typeof s === "string" && TIME.test(s) && !Number.isNaN(Date.parse(s));

// roll.jsonl: {token, weight}, tokens strictly ascending; size, total weight and root.
export async function readRoll(file, claimed, say, progress) {
  const weights = new Map();
  const stream = new MerkleStream();
  let last = "";
  let total = 0;
  for await (const { number, line, record } of jsonLines(file, "roll.jsonl")) {
    if (!exactKeys(record, ["token", "weight"])) throw new Fail("roll.record", `roll.jsonl line ${number}: not {token, weight}`);
    const { token, weight } = record;
    if (!isHex64(token) || !Number.isSafeInteger(weight) || weight <= 0) {
      throw new Fail("roll.record", `roll.jsonl line ${number}: token must be 64 hex and weight an integer > 0`);
    }
    if (token === last) throw new Fail("roll.duplicate", `roll.jsonl line ${number}: token listed twice`);
    if (token < last) throw new Fail("roll.order", `roll.jsonl line ${number}: tokens must be ascending`);
    last = token;
    weights.set(token, weight);
    total += weight;
    stream.push(leafHash(line));
    if (number % 2048 === 0) await progress(number, claimed.size);
  }
  if (claimed.size !== stream.size) throw mismatch("roll.size", "roll size", claimed.size, stream.size);
  if (claimed.total_weight !== total) throw mismatch("roll.total_weight", "roll total weight", claimed.total_weight, total);
  const root = stream.root();
  if (claimed.root !== root) throw mismatch("roll.root", "roll root", claimed.root, root);
  say(`roll: ${stream.size} tokens, total weight ${total}, root ${root}`);
  return { weights, total };
}

// The spec's outcome rules, integer arithmetic only (ballots/tally.py compute_outcome).
export function outcomeOf(spec, totals, countedWeight, rollTotal) {
  const q = spec.quorum;
  const quorumMet = BigInt(countedWeight) * BigInt(q.den) >= BigInt(q.num) * BigInt(rollTotal);
  if (spec.method === "binary") {
    const [yes, no] = [BigInt(totals.yes), BigInt(totals.no)];
    const t = spec.threshold;
    const passed = quorumMet && yes * BigInt(t.den) >= BigInt(t.num) * (yes + no) && yes > no;
    return { quorum_met: quorumMet, outcome: passed ? "passed" : "rejected", winners: passed ? ["yes"] : [] };
  }
  if (!quorumMet) return { quorum_met: false, outcome: "no_quorum", winners: [] };
  const ranked = spec.options.map((o) => o.id).sort((a, b) => totals[b] - totals[a]);
  const seats = spec.seats;
  const lastTotal = totals[ranked[seats - 1]];
  if (seats < ranked.length && totals[ranked[seats]] === lastTotal) {
    return { quorum_met: true, outcome: "tie", winners: ranked.filter((o) => totals[o] > lastTotal) };
  }
  return { quorum_met: true, outcome: "decided", winners: ranked.slice(0, seats) };
}

export function compareTally(theirs, mine, names) {
  for (const name of names) {
    if (canon(theirs[name]) !== canon(mine[name])) {
      throw mismatch(`tally.${name}`, `tally ${name}`, canon(theirs[name]), canon(mine[name]));
    }
  }
}
