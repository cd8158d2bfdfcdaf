// The recount on the reader's device, for an open-ballot (format 1) bundle: roll.jsonl and
// ballots.jsonl are streamed line by line (a 20,000-ballot file is never held whole), every
// line checked as `python -m ballots.verify` checks it (canonical bytes, members, seq, token
// on the roll, weight, selection, voting window), both RFC 9162 roots recomputed, and the
// tally (last ballot per token counts) compared with the signed result. Same failure codes as
// ballots/verifier.py. Not checked here: commitments.json (the running commitments).
import {
  Fail, MerkleStream, canon, compareTally, exactKeys, isHex64, isTime, jsonLines, leafHash, mismatch,
  outcomeOf, readRoll,
} from "./verify-common.js";

const BALLOT_KEYS = ["seq", "token", "selection", "weight", "cast_at", "receipt"];
export const TALLY_NAMES = ["counted", "counted_weight", "totals", "quorum_met", "outcome", "winners"];

function checkSelection(spec, selection, seq) {
  const bad = (why) => new Fail("ballots.selection", `ballot seq ${seq}: ${why}`);
  const ids = spec.options.map((o) => o.id);
  if (!Array.isArray(selection) || selection.some((s) => typeof s !== "string")) {
    throw bad("selection must be a list of option id strings");
  }
  const unknown = selection.find((s) => !ids.includes(s));
  if (unknown !== undefined) throw bad(`unknown option ${JSON.stringify(unknown)}`);
  if (new Set(selection).size !== selection.length) throw bad("selection names an option twice");
  if (spec.method !== "approval" && selection.length !== 1) {
    throw bad(`a ${spec.method} ballot selects exactly one option`);
  }
  if (spec.method === "approval" && !(selection.length >= 1 && selection.length <= spec.seats)) {
    throw bad(`an approval ballot selects 1 to ${spec.seats} options`);
  }
}

export function inWindow(spec, castAt) {
  return isTime(castAt) && spec.opens_at <= castAt && castAt < spec.closes_at;
}

export async function recountOpen(files, result, say, progress) {
  const spec = result.proposal;
  const roll = await readRoll(files.roll, result.roll, say, progress);
  const counting = new Map(); // token -> its last ballot so far
  const stream = new MerkleStream();
  let seq = 0;
  for await (const { number, line, record: b } of jsonLines(files.ballots, "ballots.jsonl")) {
    if (!exactKeys(b, BALLOT_KEYS)) {
      throw new Fail("ballots.record", `ballots.jsonl line ${number}: a ballot has exactly the members ${[...BALLOT_KEYS].sort()}`);
    }
    if (b.seq !== seq + 1) throw new Fail("ballots.seq", `ballots.jsonl line ${number}: ballot seq ${b.seq} where ${seq + 1} was expected`);
    seq = b.seq;
    const weight = typeof b.token === "string" ? roll.weights.get(b.token) : undefined;
    if (weight === undefined) throw new Fail("ballots.token", `ballot seq ${seq}: token is not on the roll`);
    if (b.weight !== weight) throw new Fail("ballots.weight", `ballot seq ${seq}: weight ${b.weight} but the roll says ${weight}`);
    checkSelection(spec, b.selection, seq);
    if (!inWindow(spec, b.cast_at)) throw new Fail("ballots.cast_at", `ballot seq ${seq}: cast_at outside the voting period`);
    if (!isHex64(b.receipt)) throw new Fail("ballots.record", `ballot seq ${seq}: receipt is not 64 lowercase hex`);
    counting.set(b.token, b);
    stream.push(leafHash(line));
    if (number % 1024 === 0) await progress(number, result.ballots.size);
  }
  const claimed = result.ballots;
  if (claimed.size !== stream.size) throw mismatch("ballots.size", "ballots size", claimed.size, stream.size);
  const root = stream.root();
  if (claimed.root !== root) throw mismatch("ballots.root", "ballots root", claimed.root, root);
  say(`ballots: ${stream.size}, root ${root}`);

  const totals = Object.fromEntries(spec.options.map((o) => [o.id, 0]));
  let countedWeight = 0;
  for (const b of counting.values()) {
    countedWeight += b.weight;
    for (const option of b.selection) totals[option] += b.weight;
  }
  const mine = { counted: counting.size, counted_weight: countedWeight, totals,
    ...outcomeOf(spec, totals, countedWeight, roll.total) };
  compareTally(result.tally, mine, TALLY_NAMES);
  say(`recount: ${mine.counted} counted, weight ${countedWeight}, outcome ${mine.outcome}, winners ${JSON.stringify(mine.winners)}`);
  say(`totals: ${canon(totals)} (recounted on this device)`);
}
