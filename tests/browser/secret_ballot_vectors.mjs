// Reads {spec, key, token, selection, seed?} on stdin; prints the ballot static/js/secret-ballot.js
// makes. With a seed, randomness is ballots.secret.group.Rng's deterministic mode
// (HMAC-SHA512(seed, 8-byte big-endian counter) mod L), so the Python test can require the
// same bytes as ballots.secret.ballot.encrypt_ballot; without one, the browser's CSPRNG.
import { hmac } from "@noble/hashes/hmac.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { L, auditRecord, checkAudit, checkElection, encryptBallot, osRng } from "../../static/js/secret-ballot.js";

function seededRng(seedHex) {
  const seed = Uint8Array.from(seedHex.match(/../g), (h) => parseInt(h, 16));
  let counter = 0n;
  return {
    scalar() {
      counter += 1n;
      const block = new Uint8Array(8);
      new DataView(block.buffer).setBigUint64(0, counter, false);
      const d = hmac(sha512, seed, block);
      let n = 0n;
      for (let i = d.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(d[i]);
      return n % L;
    },
  };
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
const cases = JSON.parse(input);
const out = [];
for (const c of cases) {
  if (c.election) {
    try {
      checkElection(c.election, c.spec.id);
      out.push({ election: "ok" });
    } catch (error) {
      out.push({ election: error.message });
    }
    continue;
  }
  const rng = c.seed ? seededRng(c.seed) : osRng;
  const ballot = await encryptBallot(c.spec, c.key, c.token, c.selection, rng);
  const record = auditRecord(ballot);
  checkAudit(c.spec, c.key, record);
  out.push({ cast: ballot.cast, tracker: ballot.tracker, audit: record });
}
process.stdout.write(JSON.stringify(out));
