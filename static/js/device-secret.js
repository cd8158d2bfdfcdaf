// The check of a secret-ballot (format 2) bundle on the reader's device, as
// ballots/secret/verifier.py does it and with its failure codes: election.json (every trustee
// commitment proof, the complaints and their answers, QUAL, the key over QUAL), roll.jsonl, ballots.jsonl streamed (canonical lines, members,
// seq, token on the roll, window, tracker = SHA-256 of the cast object, Merkle root), the
// weighted homomorphic sum of the counting ballots, tally.json (its SHA-256, the sum, every
// decryption share's proof, the k-of-n combination, each total) and the outcome.
//
// Ballot proofs: every ballot's proofs when the reader asks for all of them, else a random
// sample (SAMPLE ballots, drawn with the browser's CSPRNG) — a 20,000-ballot vote takes
// minutes in full. Trackers, roots, points of counting ballots, the sum and the decryption
// are always checked in full. Group: the audited @noble/curves ristretto255 (vendored).
import { ristretto255 } from "../vendor/noble-curves/ed25519.js";
import { L, challenge } from "./secret-ballot.js";
import {
  Fail, MerkleStream, canon, compareTally, exactKeys, isHex64, jsonLines, leafHash, mismatch,
  outcomeOf, readRoll, sha256Hex,
} from "./verify-common.js";
import { TALLY_NAMES, inWindow } from "./device-recount.js";

export const SAMPLE = 200;
const Point = ristretto255.Point;
const G = Point.BASE;
const BALLOT2_KEYS = ["seq", "token", "ciphertexts", "proofs", "sum_proof", "cast_at", "tracker"];
const mod = (a) => ((a % L) + L) % L;

function point(s, code, what) {
  if (!isHex64(s)) throw new Fail(code, `${what} is not 64 lowercase hex characters`);
  try {
    return Point.fromHex(s);
  } catch {
    throw new Fail(code, `${what} is not a canonical ristretto255 encoding`);
  }
}

function scalar(s, code, what) {
  if (!isHex64(s)) throw new Fail(code, `${what} is not 64 lowercase hex characters`);
  let v = 0n;
  for (let i = 62; i >= 0; i -= 2) v = (v << 8n) | BigInt(parseInt(s.slice(i, i + 2), 16));
  if (v >= L) throw new Fail(code, `${what} is not reduced mod L`);
  return v;
}

function pairs(proof, count, code, what) {
  if (!Array.isArray(proof) || proof.length !== count) throw new Fail(code, `${what} must be a list of ${count} [c, z] pairs`);
  return proof.map((p) => {
    if (!Array.isArray(p) || p.length !== 2) throw new Fail(code, `${what} must be a list of ${count} [c, z] pairs`);
    return [scalar(p[0], code, what), scalar(p[1], code, what)];
  });
}

const mul = (p, s) => p.multiplyUnsafe(mod(s));

function membership(label, context, key, a, b, values, prs) {
  let total = 0n;
  const commitments = values.map((v, j) => {
    const [c, z] = prs[j];
    total += c;
    const shifted = v === 0 ? b : b.subtract(mul(G, BigInt(v)));
    return [mul(G, z).subtract(mul(a, c)).toHex(), mul(key, z).subtract(mul(shifted, c)).toHex()];
  });
  return mod(total) === challenge(label, ...context, commitments);
}

const sumValues = (spec) => (spec.method === "approval" ? Array.from({ length: spec.seats }, (_, i) => i + 1) : [1]);

// One ballot's proofs (ballots.secret.ballot.BallotChecker.check), or Fail.
function checkBallot(spec, key, keyHex, rec) {
  const n = spec.options.length;
  const where = `ballot seq ${rec.seq}`;
  const cts = ciphertexts(rec.ciphertexts, n, where);
  if (!Array.isArray(rec.proofs) || rec.proofs.length !== n) throw new Fail("ballots.proofs", `${where}: need one proof per option (${n})`);
  const optionPairs = rec.proofs.map((p, i) => pairs(p, 2, "ballots.proof_format", `${where}: proof of option ${i}`));
  const values = sumValues(spec);
  const sumPairs = pairs(rec.sum_proof, values.length, "ballots.proof_format", `${where}: sum proof`);
  const context = [spec.id, rec.token, keyHex, rec.ciphertexts];
  cts.forEach(([a, b], i) => {
    if (!membership("ballot-option", [...context, i], key, a, b, [0, 1], optionPairs[i])) {
      throw new Fail("ballots.option_proof", `${where}: option ${spec.options[i].id}: proof of 0 or 1 fails`);
    }
  });
  const bigA = cts.reduce((acc, [a]) => acc.add(a), Point.ZERO);
  const bigB = cts.reduce((acc, [, b]) => acc.add(b), Point.ZERO);
  if (!membership("ballot-sum", context, key, bigA, bigB, values, sumPairs)) {
    throw new Fail("ballots.sum_proof", `${where}: proof of the number of chosen options fails`);
  }
}

function ciphertexts(value, n, where) {
  if (!Array.isArray(value) || value.length !== n) throw new Fail("ballots.ciphertexts", `${where}: need one ciphertext per option (${n})`);
  return value.map((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new Fail("ballots.ciphertexts", `${where}: ciphertext ${i} is not [a, b]`);
    return [point(pair[0], "ballots.point", `${where}: ciphertext ${i}`), point(pair[1], "ballots.point", `${where}: ciphertext ${i}`)];
  });
}

// sum_j w_j * P_j by buckets (Pippenger) over the weights' bits only: weights are below 2^53.
function weightedSum(points, weights) {
  if (!points.length) return Point.ZERO;
  const bits = weights.reduce((m, w) => Math.max(m, Math.floor(Math.log2(w)) + 1), 1);
  const c = Math.max(2, Math.min(14, Math.floor(Math.log2(points.length)) - 2));
  const base = 2 ** c;
  let sum = Point.ZERO;
  for (let w = Math.ceil(bits / c) - 1; w >= 0; w--) {
    for (let i = 0; i < c && !sum.is0(); i++) sum = sum.double();
    const buckets = new Array(base).fill(null);
    const div = 2 ** (w * c);
    points.forEach((p, j) => {
      const d = Math.floor(weights[j] / div) % base;
      if (d) buckets[d] = buckets[d] ? buckets[d].add(p) : p;
    });
    let running = Point.ZERO;
    let acc = Point.ZERO;
    for (let k = base - 1; k > 0; k--) {
      if (buckets[k]) running = running.add(buckets[k]);
      acc = acc.add(running);
    }
    sum = sum.add(acc);
  }
  return sum;
}

function sampleSeqs(size, full) {
  if (full || size <= SAMPLE) return null; // null: every ballot
  const picked = new Set();
  const buf = new Uint32Array(1);
  while (picked.size < SAMPLE) {
    crypto.getRandomValues(buf);
    picked.add(1 + (buf[0] % size));
  }
  return picked;
}

// f_i(j) * G as dealer i's commitments say: sum_l j^l * C_i,l.
function commitmentAt(cs, j) {
  let x = Point.ZERO;
  let power = 1n;
  for (const C of cs) {
    x = x.add(mul(C, power));
    power = mod(power * BigInt(j));
  }
  return x;
}

// QUAL: every dealer but those with a complaint unanswered (share null) or answered with a
// share that fails its commitments; election.json's "qualified" must say exactly that.
function qualified(doc, commitments, k) {
  const n = commitments.length;
  const all = Array.from({ length: n }, (_, x) => x + 1);
  if (!("complaints" in doc)) return all;
  const list = doc.complaints;
  if (!Array.isArray(list) || list.length === 0) throw new Fail("election.complaints", "complaints must be a non-empty list");
  const out = new Set();
  let last = null;
  list.forEach((c, position) => {
    const where = `complaint ${position + 1}`;
    if (!exactKeys(c, ["accuser", "dealer", "share"])) throw new Fail("election.complaints", `${where} needs exactly accuser, dealer, share`);
    const { accuser: j, dealer: i } = c;
    if (!Number.isInteger(j) || !Number.isInteger(i) || j < 1 || j > n || i < 1 || i > n || i === j) {
      throw new Fail("election.complaints", `${where}: a complaint is by one trustee against another`);
    }
    if (last && (last[0] > i || (last[0] === i && last[1] >= j))) {
      throw new Fail("election.complaints", `${where}: not in ascending (dealer, accuser) order, or a repeat`);
    }
    last = [i, j];
    if (c.share === null) {
      out.add(i);
      return;
    }
    const share = scalar(c.share, "election.complaints", where);
    if (!mul(G, share).equals(commitmentAt(commitments[i - 1], j))) out.add(i);
  });
  const qual = all.filter((i) => !out.has(i));
  const claimed = doc.qualified;
  if (!Array.isArray(claimed) || claimed.length !== qual.length || claimed.some((v, x) => v !== qual[x])) {
    throw new Fail("election.qualified", `qualified is ${JSON.stringify(claimed)}, but the complaints and answers leave ${JSON.stringify(qual)}`);
  }
  if (qual.length < k) throw new Fail("election.qualified", `the key ceremony fails: only ${qual.length} of ${n} trustees' dealings stand, and ${k} are needed`);
  return qual;
}

const ELECTION_KEYS = ["type", "format", "proposal", "threshold", "trustees", "key"];

function checkElection(doc, result) {
  const summary = result.election;
  const got = sha256Hex(doc);
  if (got !== summary.sha256) throw mismatch("election.sha256", "election.json SHA-256", summary.sha256, got);
  const id = result.proposal.id;
  // "complaints" and "qualified" come together, only when a complaint was filed.
  const members = "complaints" in doc || "qualified" in doc ? [...ELECTION_KEYS, "complaints", "qualified"] : ELECTION_KEYS;
  if (!exactKeys(doc, members)
      || doc.type !== "election" || doc.format !== 2) throw new Fail("election.record", "election.json is not type 'election', format 2");
  if (doc.proposal !== id) throw new Fail("election.proposal", `election.json is for proposal ${doc.proposal}`);
  const k = doc.threshold;
  if (!Array.isArray(doc.trustees) || doc.trustees.length < 1 || doc.trustees.length > 64) throw new Fail("election.record", "trustees must be a list of 1..64");
  if (!Number.isInteger(k) || k < 1 || k > doc.trustees.length) throw new Fail("election.threshold", "threshold must be an integer in 1..trustees");
  const commitments = doc.trustees.map((t, position) => {
    const i = position + 1;
    if (!exactKeys(t, ["index", "name", "commitments", "proofs"]) || typeof t.name !== "string") throw new Fail("election.record", `trustee entry ${i} is malformed`);
    if (t.index !== i) throw new Fail("election.index", "trustee entries must be numbered 1..n in order");
    if (!Array.isArray(t.commitments) || t.commitments.length !== k) throw new Fail("election.commitments", `trustee ${i} needs ${k} commitments`);
    const cs = t.commitments.map((c) => point(c, "election.commitments", `trustee ${i} commitment`));
    const prs = pairs(t.proofs, k, "election.commitments", `trustee ${i} proofs`);
    cs.forEach((C, ell) => {
      const [c, z] = prs[ell];
      const T = mul(G, z).subtract(mul(C, c));
      if (challenge("trustee-commitment", id, i, ell, C.toHex(), T.toHex()) !== c) {
        throw new Fail("election.commitment_proof", `trustee ${i} commitment ${ell}: proof fails`);
      }
    });
    return cs;
  });
  const qual = qualified(doc, commitments, k);
  let key = Point.ZERO;
  for (const i of qual) key = key.add(commitments[i - 1][0]);
  if (point(doc.key, "election.key", "election key").toHex() !== key.toHex()) throw new Fail("election.key", "election key is not the sum of the qualified trustees' commitments");
  if (key.is0()) throw new Fail("election.key", "election key is the identity element");
  for (const [name, mine] of [["key", key.toHex()], ["threshold", k], ["trustees", doc.trustees.length]]) {
    if (summary[name] !== mine) throw mismatch(`election.${name}`, `election ${name}`, summary[name], mine);
  }
  // Trustee j's public share X_j = sum over QUAL of sum_l j^l * C_i,l.
  const publics = new Map();
  for (let j = 1; j <= doc.trustees.length; j++) {
    let x = Point.ZERO;
    for (const i of qual) x = x.add(commitmentAt(commitments[i - 1], j));
    publics.set(j, x);
  }
  const complaints = "complaints" in doc ? doc.complaints.length : 0;
  return { key, keyHex: doc.key, k, publics, qual, complaints };
}

function modInverse(a) {
  let [result, b, e] = [1n, mod(a), L - 2n];
  while (e > 0n) {
    if (e & 1n) result = (result * b) % L;
    b = (b * b) % L;
    e >>= 1n;
  }
  return result;
}

function checkTally(doc, result, election, sums, counted, countedWeight) {
  const spec = result.proposal;
  const got = sha256Hex(doc);
  if (got !== result.encrypted_tally.sha256) throw mismatch("tally.sha256", "tally.json SHA-256", result.encrypted_tally.sha256, got);
  if (!exactKeys(doc, ["type", "format", "proposal", "ciphertexts", "shares"]) || doc.type !== "tally"
      || doc.format !== 2 || doc.proposal !== spec.id) throw new Fail("tally.record", "tally.json is not type 'tally', format 2, of this proposal");
  if (!Array.isArray(doc.ciphertexts) || doc.ciphertexts.length !== spec.options.length) throw new Fail("tally.record", "tally.json needs one ciphertext per option");
  const cts = doc.ciphertexts.map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new Fail("tally.record", "a tally ciphertext is [A, B]");
    return [point(pair[0], "tally.point", "tally ciphertext"), point(pair[1], "tally.point", "tally ciphertext")];
  });
  if (!Array.isArray(doc.shares)) throw new Fail("tally.record", "shares must be a list");
  cts.forEach(([a, b], o) => {
    if (a.toHex() !== sums[o][0].toHex() || b.toHex() !== sums[o][1].toHex()) {
      throw new Fail("tally.ciphertexts", `tally.json ciphertext of option ${spec.options[o].id} is not the weighted product of the counted ballots`);
    }
  });
  const shares = new Map();
  let previous = 0;
  for (const entry of doc.shares) {
    if (!exactKeys(entry, ["trustee", "shares", "proofs"])) throw new Fail("tally.share_record", "a share entry has exactly trustee, shares, proofs");
    const j = entry.trustee;
    const X = Number.isInteger(j) ? election.publics.get(j) : undefined;
    if (!X) throw new Fail("tally.share_record", `share from unknown trustee ${j}`);
    const n = cts.length;
    if (!Array.isArray(entry.shares) || entry.shares.length !== n) throw new Fail("tally.share_record", `trustee ${j}: need ${n} shares`);
    if (!Array.isArray(entry.proofs) || entry.proofs.length !== n) throw new Fail("tally.share_record", `trustee ${j}: need ${n} proofs`);
    const ds = cts.map(([a], o) => {
      const D = point(entry.shares[o], "tally.share_record", `trustee ${j} share ${o}`);
      const [[c, z]] = pairs([entry.proofs[o]], 1, "tally.share_record", `trustee ${j} proof ${o}`);
      const t1 = mul(G, z).subtract(mul(X, c));
      const t2 = mul(a, z).subtract(mul(D, c));
      if (challenge("decryption-share", spec.id, j, o, X.toHex(), a.toHex(), D.toHex(), t1.toHex(), t2.toHex()) !== c) {
        throw new Fail("tally.share_proof", `trustee ${j}: decryption proof ${o} fails`);
      }
      return D;
    });
    if (j <= previous) throw new Fail("tally.share_record", "share entries must be in ascending trustee order, one per trustee");
    previous = j;
    shares.set(j, ds);
  }
  if (shares.size < election.k) throw new Fail("tally.threshold", `${shares.size} decryption shares, ${election.k} are needed`);
  const chosen = [...shares.keys()].sort((x, y) => x - y).slice(0, election.k);
  const lambdas = chosen.map((j) => {
    let [num, den] = [1n, 1n];
    for (const m of chosen) {
      if (m !== j) {
        num = mod(num * BigInt(m));
        den = mod(den * BigInt(m - j));
      }
    }
    return mod(num * modInverse(den));
  });
  spec.options.forEach((option, o) => {
    let acc = Point.ZERO;
    chosen.forEach((j, i) => { acc = acc.add(mul(shares.get(j)[o], lambdas[i])); });
    const plain = cts[o][1].subtract(acc);
    const claimed = result.tally.totals[option.id];
    if (!Number.isSafeInteger(claimed) || claimed < 0 || claimed > countedWeight || !mul(G, BigInt(claimed)).equals(plain)) {
      throw new Fail("tally.totals", `total of option ${option.id}: the result says ${claimed}, which is not what the decryption shares give`);
    }
  });
  const mine = { counted, counted_weight: countedWeight, totals: result.tally.totals,
    ...outcomeOf(spec, result.tally.totals, countedWeight, result.roll.total_weight) };
  compareTally(result.tally, mine, TALLY_NAMES);
  return chosen;
}

export async function verifySecret(files, result, say, progress, full) {
  const spec = result.proposal;
  if (!result.election || !result.encrypted_tally) throw new Fail("result.format", "a format 2 result needs election and encrypted_tally");
  const election = checkElection(files.election, result);
  say(`election key ${election.keyHex}: ${election.k} of ${election.publics.size} trustees, every commitment proof verified`);
  if (election.complaints) {
    const out = [...election.publics.keys()].filter((i) => !election.qual.includes(i));
    say(`${election.complaints} complaint(s) in the key ceremony, every answer checked: key over qualified dealers [${election.qual.join(", ")}]${out.length ? `, disqualified [${out.join(", ")}]` : ""}`);
  }
  const roll = await readRoll(files.roll, result.roll, say, progress);
  const sample = sampleSeqs(result.ballots.size, full);
  const counting = new Map(); // token -> [seq, ciphertexts as given]
  const stream = new MerkleStream();
  let seq = 0;
  let deferred = null; // the first tracker or proof failure, named after the root is checked
  let proved = 0;
  for await (const { number, line, record: rec } of jsonLines(files.ballots, "ballots.jsonl")) {
    const where = `ballots.jsonl line ${number}`;
    if (!exactKeys(rec, BALLOT2_KEYS)) throw new Fail("ballots.record", `${where}: needs ${[...BALLOT2_KEYS].sort()}`);
    seq += 1;
    if (rec.seq !== seq) throw new Fail("ballots.seq", `${where}: seq ${rec.seq}, not ${seq}`);
    if (!isHex64(rec.token) || !roll.weights.has(rec.token)) throw new Fail("ballots.token", `${where}: token is not on the roll`);
    if (!inWindow(spec, rec.cast_at)) throw new Fail("ballots.cast_at", `${where}: cast outside the voting period`);
    if (!isHex64(rec.tracker)) throw new Fail("ballots.tracker", `${where}: tracker is not 64 hex`);
    stream.push(leafHash(line));
    counting.set(rec.token, rec.ciphertexts);
    if (deferred) continue;
    const cast = { proposal: spec.id, token: rec.token, ciphertexts: rec.ciphertexts, proofs: rec.proofs, sum_proof: rec.sum_proof };
    try {
      if (sha256Hex(cast) !== rec.tracker) throw new Fail("ballots.tracker", `ballot seq ${seq}: tracker is not the ballot's SHA-256`);
      if (!sample || sample.has(seq)) {
        checkBallot(spec, election.key, election.keyHex, rec);
        proved += 1;
      }
    } catch (err) {
      if (!(err instanceof Fail)) throw err;
      deferred = err;
    }
    if (number % (sample ? 512 : 8) === 0) await progress(number, result.ballots.size);
  }
  const claimed = result.ballots;
  if (claimed.size !== stream.size) throw mismatch("ballots.size", "ballots size", claimed.size, stream.size);
  const root = stream.root();
  if (claimed.root !== root) throw mismatch("ballots.root", "ballots root", claimed.root, root);
  if (deferred) throw deferred;

  const n = spec.options.length;
  const columns = Array.from({ length: 2 * n }, () => []);
  const weights = [];
  let countedWeight = 0;
  let done = 0;
  for (const [token, cts] of counting) {
    const pts = ciphertexts(cts, n, `the counting ballot of token ${token}`);
    pts.forEach(([a, b], o) => { columns[2 * o].push(a); columns[2 * o + 1].push(b); });
    const w = roll.weights.get(token);
    weights.push(w);
    countedWeight += w;
    done += 1;
    if (done % 512 === 0) await progress(done, counting.size);
  }
  const sums = Array.from({ length: n }, (_, o) => [weightedSum(columns[2 * o], weights), weightedSum(columns[2 * o + 1], weights)]);
  const how = sample ? `a random sample of ${proved} of ${stream.size} ballots' proofs` : `every ballot's proofs (${proved})`;
  say(`ballots: ${stream.size}, root ${root}; every tracker verified; ${how} verified`);
  const chosen = checkTally(files.tally, result, election, sums, counting.size, countedWeight);
  say(`homomorphic sum of the ${counting.size} counting ballots equals tally.json; decrypted with trustees ${chosen.join(", ")}, every decryption proof verified`);
  say(`tally: ${counting.size} counted, weight ${countedWeight}, outcome ${result.tally.outcome}, winners ${JSON.stringify(result.tally.winners)}`);
  say(`totals: ${canon(result.tally.totals)} (decryption checked on this device)`);
}
