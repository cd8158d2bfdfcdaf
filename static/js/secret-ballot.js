// A secret ballot, encrypted and proved on the voter's device: the byte-for-byte twin of
// ballots/secret/ballot.py (exponential ElGamal on ristretto255, one ciphertext per option,
// a 0-or-1 proof for each and a proof of how many options are chosen; Fiat-Shamir over
// SHA-512 of the canonical JSON ["owners-trust/2", label, ...]). The group is the audited
// @noble/curves ristretto255 and SHA-512 is @noble/hashes, both vendored by the install step
// from the npm registry at the lockfile's versions. tests/browser/secret_ballot_vectors.mjs
// checks it against the Python side on every test run.
import { ristretto255 } from "../vendor/noble-curves/ed25519.js";
import { sha512 } from "../vendor/noble-hashes/sha2.js";

const Point = ristretto255.Point;
export const L = Point.Fn.ORDER;
const DOMAIN = "owners-trust/2";
const enc = new TextEncoder();
const G = Point.BASE;

export class BallotFail extends Error {}

const mod = (a) => ((a % L) + L) % L;
const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (s) => Uint8Array.from(s.match(/../g) || [], (h) => parseInt(h, 16));

function leToInt(u8) {
  let n = 0n;
  for (let i = u8.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(u8[i]);
  return n;
}

export function scalarHex(s) {
  const out = new Uint8Array(32);
  let n = s;
  for (let i = 0; i < 32; i++) { out[i] = Number(n & 0xffn); n >>= 8n; }
  return hex(out);
}

export function scalarFromHex(s) {
  if (typeof s !== "string" || !/^[0-9a-f]{64}$/.test(s)) throw new BallotFail("bad scalar");
  const v = leToInt(unhex(s));
  if (v >= L) throw new BallotFail("scalar not reduced");
  return v;
}

// s*G and s*P with s = 0 allowed (noble refuses a zero scalar in multiply()).
const baseMul = (s) => (mod(s) === 0n ? Point.ZERO : G.multiply(mod(s)));
const mul = (s, p) => (mod(s) === 0n ? Point.ZERO : p.multiply(mod(s)));
const pointHex = (p) => p.toHex();
export const pointFromHex = (s) => {
  if (typeof s !== "string" || !/^[0-9a-f]{64}$/.test(s)) throw new BallotFail("bad point");
  return Point.fromHex(s);
};

export function challenge(label, ...parts) {
  const data = JSON.stringify([DOMAIN, label, ...parts]);
  return leToInt(sha512(enc.encode(data))) % L;
}

// Scalars from the browser's CSPRNG: 64 bytes reduced mod L, as ballots.secret.group.Rng.
export const osRng = {
  scalar() {
    const b = new Uint8Array(64);
    crypto.getRandomValues(b);
    return leToInt(b) % L;
  },
};

function nonzero(rng) {
  for (;;) { const s = rng.scalar(); if (s !== 0n) return s; }
}

function shifted(b, v) {
  return v === 0 ? b : b.subtract(baseMul(BigInt(v)));
}

function proveMembership(label, context, key, a, b, values, value, r, rng) {
  const real = values.indexOf(value);
  const cs = values.map(() => 0n);
  const zs = values.map(() => 0n);
  const commitments = [];
  const w = rng.scalar();
  values.forEach((v, j) => {
    if (j === real) { commitments.push([pointHex(baseMul(w)), pointHex(mul(w, key))]); return; }
    cs[j] = rng.scalar();
    zs[j] = rng.scalar();
    const bigA = baseMul(zs[j]).subtract(mul(cs[j], a));
    const bigB = mul(zs[j], key).subtract(mul(cs[j], shifted(b, v)));
    commitments.push([pointHex(bigA), pointHex(bigB)]);
  });
  const c = challenge(label, ...context, commitments);
  cs[real] = mod(c - cs.reduce((x, y) => x + y, 0n));
  zs[real] = mod(w + cs[real] * r);
  return cs.map((cj, j) => [scalarHex(cj), scalarHex(zs[j])]);
}

export function sumValues(spec) {
  if (spec.method === "approval") return Array.from({ length: spec.seats }, (_, i) => i + 1);
  return [1];
}

function checkSelection(spec, selection) {
  const ids = spec.options.map((o) => o.id);
  const set = new Set(selection);
  if (set.size !== selection.length || selection.some((s) => !ids.includes(s))) {
    throw new BallotFail("the selection names an unknown option or one twice");
  }
  const allowed = sumValues(spec);
  if (!allowed.includes(selection.length)) {
    throw new BallotFail(`choose ${allowed.length === 1 ? "exactly one option" : `1 to ${allowed.length} options`}`);
  }
  return ids.filter((id) => set.has(id));
}

// Canonical JSON (RFC 8785) of a cast object: sorted keys; its values are ASCII strings and
// lists, for which JSON.stringify is exact. The tracker is its SHA-256.
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export async function trackerOf(cast) {
  const digest = await crypto.subtle.digest("SHA-256", enc.encode(canonical(cast)));
  return hex(new Uint8Array(digest));
}

// spec: the vote's proposal object (GET /api/secret/<id>/proposal.json); keyHex: the election
// key from its checked election.json; token: the voter's roll token.
export async function encryptBallot(spec, keyHex, token, selection, rng = osRng) {
  const chosen = checkSelection(spec, selection);
  if (!/^[0-9a-f]{64}$/.test(token)) throw new BallotFail("token must be 64 lowercase hex");
  const key = pointFromHex(keyHex);
  const ids = spec.options.map((o) => o.id);
  const bits = ids.map((id) => (chosen.includes(id) ? 1 : 0));
  const rs = bits.map(() => nonzero(rng));
  const cts = bits.map((m, i) => [baseMul(rs[i]), baseMul(BigInt(m)).add(mul(rs[i], key))]);
  const ctsJson = cts.map(([a, b]) => [pointHex(a), pointHex(b)]);
  const context = [spec.id, token, keyHex, ctsJson];
  const proofs = cts.map(([a, b], i) =>
    proveMembership("ballot-option", [...context, i], key, a, b, [0, 1], bits[i], rs[i], rng));
  const bigA = cts.reduce((acc, [a]) => acc.add(a), Point.ZERO);
  const bigB = cts.reduce((acc, [, b]) => acc.add(b), Point.ZERO);
  const total = bits.reduce((x, y) => x + y, 0);
  const sumR = mod(rs.reduce((x, y) => x + y, 0n));
  const sumProof = proveMembership("ballot-sum", context, key, bigA, bigB, sumValues(spec),
    total, sumR, rng);
  const cast = { proposal: spec.id, token, ciphertexts: ctsJson, proofs, sum_proof: sumProof };
  return {
    cast,
    tracker: await trackerOf(cast),
    selection: chosen,
    randomness: rs.map(scalarHex),
  };
}

// The Benaloh challenge: what the voter (or anyone) checks with
// `python -m ballots.secret.audit`; a ballot once shown this way is spoiled, never cast.
export function auditRecord(ballot) {
  return { ballot: ballot.cast, tracker: ballot.tracker, selection: ballot.selection,
    randomness: ballot.randomness };
}

// The device's own check of a spoiled ballot: each ciphertext is exactly the selection shown.
export function checkAudit(spec, keyHex, record) {
  const key = pointFromHex(keyHex);
  const ids = spec.options.map((o) => o.id);
  record.ballot.ciphertexts.forEach(([aHex, bHex], i) => {
    const r = scalarFromHex(record.randomness[i]);
    const m = record.selection.includes(ids[i]) ? 1n : 0n;
    if (!baseMul(r).equals(pointFromHex(aHex))
        || !baseMul(m).add(mul(r, key)).equals(pointFromHex(bHex))) {
      throw new BallotFail(`option ${ids[i]}: the ciphertext does not encrypt what is shown`);
    }
  });
  return record.selection;
}

// The election document's checks before any encryption, as ballots.secret.trustees
// .verify_election: every trustee commitment's proof of knowledge, and the key is their sum.
export function checkElection(doc, proposalId) {
  if (!doc || doc.type !== "election" || doc.format !== 2 || doc.proposal !== proposalId) {
    throw new BallotFail("election.json is not this vote's election document");
  }
  let key = Point.ZERO;
  doc.trustees.forEach((t, position) => {
    if (t.index !== position + 1 || t.commitments.length !== doc.threshold) {
      throw new BallotFail(`trustee entry ${position + 1} is malformed`);
    }
    t.commitments.forEach((cHex, ell) => {
      const C = pointFromHex(cHex);
      const [c, z] = t.proofs[ell].map(scalarFromHex);
      const T = baseMul(z).subtract(mul(c, C));
      if (challenge("trustee-commitment", proposalId, t.index, ell, cHex, pointHex(T)) !== c) {
        throw new BallotFail(`trustee ${t.index} commitment ${ell}: proof fails`);
      }
    });
    key = key.add(pointFromHex(t.commitments[0]));
  });
  if (key.is0() || pointHex(key) !== doc.key) {
    throw new BallotFail("the election key is not the sum of the trustees' commitments");
  }
  return doc.key;
}
