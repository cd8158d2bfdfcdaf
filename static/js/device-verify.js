// Verification on the reader's device: a sealed result's signature and its place in the log
// under a checkpoint the witnesses cosigned (C2SP signed-note, tlog-checkpoint,
// cosignature/v1), the signed keys document (keys-note.js), a receipt and its inclusion
// proof, and — given roll.jsonl and ballots.jsonl — the recount of an open vote
// (device-recount.js) or the check of a secret vote's encrypted tally and its decryption
// (device-secret.js). Nothing is sent anywhere: the files are read in the browser; Ed25519 is
// the audited @noble/ed25519 (vendored by the install step from the npm registry at the
// lockfile's version), SHA-256 is the browser's WebCrypto here and @noble/hashes in the
// streamed recount. The same checks, with the same codes, as ballots/logproof.py,
// ballots/keys.py, ballots/keysnote.py, ballots/receipts.py, ballots/verifier.py and
// ballots/secret/verifier.py.
import * as ed from "../vendor/noble-ed25519.js";
import { recountOpen } from "./device-recount.js";
import { verifySecret } from "./device-secret.js";
import { checkKeysNote, checkKeysProof } from "./keys-note.js";
import { Fail, canon, concat, equal, hex, unhex } from "./verify-common.js";

export { Fail, canon };

const enc = new TextEncoder();

function b64e(u8) {
  let s = "";
  for (const b of u8) s += String.fromCharCode(b);
  return btoa(s);
}

function b64d(s, what) {
  let bin;
  try {
    bin = atob(s);
  } catch {
    throw new Fail("base64", `${what} is not base64`);
  }
  const u8 = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  if (b64e(u8) !== s) throw new Fail("base64", `${what} is not canonical base64`);
  return u8;
}


async function sha256(u8) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", u8));
}

const digest = async (obj) => hex(await sha256(enc.encode(canon(obj))));
const verifyEd = (sig, msg, pub) => ed.verifyAsync(sig, msg, pub, { zip215: false });

// trust-keys.json: every key, its id the SHA-256 of the key.
export async function keyring(doc) {
  if (!doc || typeof doc.trust !== "string" || !Array.isArray(doc.keys)) {
    throw new Fail("keys", 'keys document must be {"trust": ..., "keys": [...]}');
  }
  const keys = new Map();
  for (const e of doc.keys) {
    const raw = b64d(e.public_key, "public_key");
    if (e.alg !== "Ed25519" || raw.length !== 32 || hex(await sha256(raw)) !== e.key_id) {
      throw new Fail("keys", `key ${e.key_id} is not an Ed25519 key with its SHA-256 as id`);
    }
    keys.set(e.key_id, { raw, from: e.valid_from, until: e.valid_until });
  }
  return { trust: doc.trust, keys };
}

export async function verifyObject(obj, ring, code) {
  const sig = obj && obj.signature;
  if (!sig || sig.alg !== "Ed25519") throw new Fail(code, "no Ed25519 signature");
  const key = ring.keys.get(sig.key_id);
  if (!key) throw new Fail(code, `signed by unknown key id ${sig.key_id}`);
  const body = Object.fromEntries(Object.entries(obj).filter(([k]) => k !== "signature"));
  const value = b64d(sig.value, "signature value");
  if (value.length !== 64 || !(await verifyEd(value, enc.encode(canon(body)), key.raw))) {
    throw new Fail(code, `signature does not verify under key ${sig.key_id}`);
  }
  const when = ["sealed_at", "cast_at", "at"].map((f) => obj[f]).find((t) => t !== undefined);
  if (when !== undefined && (when < key.from || (key.until && when >= key.until))) {
    throw new Fail(code, `key ${sig.key_id} was not valid at ${when}`);
  }
}

// RFC 9162 section 2.1.3.2.
export async function verifyInclusion(leaf, index, size, path, root) {
  if (!(index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(concat([1], p, r));
      while (fn !== 0 && fn % 2 === 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await sha256(concat([1], r, p));
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

const leafHash = (bytes) => sha256(concat([0], bytes));

// signed-note verifier keys: name+hex(key id)+base64(type || key).
async function vkey(text) {
  const i = text.indexOf("+");
  const j = text.indexOf("+", i + 1);
  const name = text.slice(0, i);
  const material = b64d(text.slice(j + 1), "verifier key");
  const id = await keyId(name, material[0], material.subarray(1));
  if (i < 1 || j < 0 || material.length !== 33 || hex(id) !== text.slice(i + 1, j)) {
    throw new Fail("log.policy", `bad verifier key ${text}`);
  }
  return { name, id, type: material[0], raw: material.subarray(1) };
}

const keyId = async (name, type, raw) =>
  (await sha256(concat(enc.encode(name + "\n"), [type], raw))).subarray(0, 4);

// A checkpoint note: the trust's signature and at least `quorum` witness cosignatures.
export async function openCheckpoint(note, ring, policy) {
  if (/[\x00-\x09\x0b-\x1f]/.test(note)) throw new Fail("log.format", "control character");
  const cut = note.lastIndexOf("\n\n");
  const text = note.slice(0, cut + 1);
  const lines = note.slice(cut + 2).split("\n");
  if (cut < 0 || lines.pop() !== "") throw new Fail("log.format", "not a signed note");
  const head = text.slice(0, -1).split("\n");
  if (head.length < 3 || !/^(0|[1-9][0-9]*)$/.test(head[1])) {
    throw new Fail("log.format", "not a checkpoint");
  }
  const [origin, size] = [head[0], Number(head[1])];
  const root = b64d(head[2], "root");
  const textBytes = enc.encode(text);
  const logKeys = [];
  for (const k of ring.keys.values()) logKeys.push({ name: origin, id: await keyId(origin, 1, k.raw), raw: k.raw });
  const witnesses = await Promise.all(policy.witnesses.map(vkey));
  if (witnesses.some((w) => w.type !== 4)) throw new Fail("log.policy", "a witness key is not cosignature/v1");
  let signed = false;
  const cosigned = new Map();
  for (const line of lines) {
    const m = /^\u2014 ([^ ]+) ([^ ]+)$/.exec(line);
    if (!m) throw new Fail("log.format", "bad signature line");
    const blob = b64d(m[2], "signature");
    const [id, sig] = [blob.subarray(0, 4), blob.subarray(4)];
    for (const k of logKeys) {
      if (m[1] !== k.name || !equal(id, k.id)) continue;
      if (sig.length !== 64 || !(await verifyEd(sig, textBytes, k.raw))) {
        throw new Fail("log.bad_signature", "the trust's checkpoint signature does not verify");
      }
      signed = true;
    }
    for (const w of witnesses) {
      if (m[1] !== w.name || !equal(id, w.id)) continue;
      if (sig.length !== 72) throw new Fail("log.bad_signature", `cosignature by ${w.name} is malformed`);
      const time = new DataView(sig.buffer, sig.byteOffset).getBigUint64(0);
      const msg = concat(enc.encode(`cosignature/v1\ntime ${time}\n`), textBytes);
      if (!(await verifyEd(sig.subarray(8), msg, w.raw))) {
        throw new Fail("log.bad_signature", `cosignature by ${w.name} does not verify`);
      }
      if (!cosigned.has(w.name)) cosigned.set(w.name, Number(time));
    }
  }
  if (!signed) throw new Fail("log.unverified", "the log did not sign this checkpoint");
  if (cosigned.size < policy.quorum) {
    throw new Fail("log.quorum", `${cosigned.size} of the required ${policy.quorum} witness cosignatures verify`);
  }
  return { origin, size, root, cosigned };
}

export async function checkResultInLog(result, proof, ring, policy, say) {
  const leaf = proof.leaf;
  if (leaf.type !== "result.sealed" || leaf.subject !== result.proposal.id) {
    throw new Fail("log.leaf", `the leaf is ${leaf.type} of ${leaf.subject}, not this result`);
  }
  const d = await digest(result);
  if (leaf.sha256 !== d) throw new Fail("log.leaf", `the leaf commits to ${leaf.sha256}, not ${d}`);
  const cp = await openCheckpoint(proof.checkpoint, ring, policy);
  const inc = proof.inclusion;
  if (leaf.index !== inc.index || inc.size !== cp.size) {
    throw new Fail("log.inclusion", `proof is for leaf ${inc.index} of ${inc.size}, checkpoint size ${cp.size}`);
  }
  const path = inc.path.map((h) => unhex(h, "inclusion path"));
  if (!(await verifyInclusion(await leafHash(enc.encode(canon(leaf))), inc.index, inc.size, path, cp.root))) {
    throw new Fail("log.inclusion", `leaf ${inc.index} is not under the checkpoint's root`);
  }
  const names = [...cp.cosigned].map(([n, t]) => `${n} at ${t}`).join(", ");
  say(`log: leaf ${inc.index} of ${cp.origin}, checkpoint size ${cp.size}, ${cp.cosigned.size} cosignatures (quorum ${policy.quorum})`);
  if (names) say(`cosigned by: ${names}`);
}

const RECEIPT_FIELDS = ["receipt", "token", "selection", "weight", "cast_at"];

// A secret ballot's receipt names its tracker, never a choice (ballots/secret/verifier.py).
const RECEIPT2_KEYS = ["cast_at", "format", "proposal", "signature", "token", "tracker", "type"];

async function checkReceipt2(receipt, ring, result, proof, say) {
  const keys = receipt && typeof receipt === "object" ? Object.keys(receipt).sort() : [];
  if (canon(keys) !== canon(RECEIPT2_KEYS) || receipt.format !== 2 || receipt.type !== "receipt") {
    throw new Fail("receipt.malformed", `a receipt has exactly ${RECEIPT2_KEYS}`);
  }
  await verifyObject(receipt, ring, "receipt.bad_signature");
  if (receipt.proposal !== result.proposal.id) throw new Fail("receipt.proposal", `receipt is for ${receipt.proposal}`);
  if (!proof) {
    say(`receipt of tracker ${receipt.tracker}: signature verified (no inclusion proof given)`);
    return;
  }
  const leaf = proof.leaf || {};
  if (leaf.tracker !== receipt.tracker) throw new Fail("receipt.not_found", `the proof is for another tracker than ${receipt.tracker}`);
  if (leaf.token !== receipt.token || leaf.cast_at !== receipt.cast_at) {
    throw new Fail("receipt.leaf", `ballot seq ${leaf.seq} carries the tracker but another token or cast_at than the receipt's`);
  }
  if (proof.index !== proof.seq - 1 || leaf.seq !== proof.seq || proof.size !== result.ballots.size) {
    throw new Fail("receipt.proof", "the proof does not match this result's ballots");
  }
  const path = proof.path.map((h) => unhex(h, "proof path"));
  const hashed = await leafHash(enc.encode(canon(leaf)));
  if (!(await verifyInclusion(hashed, proof.index, proof.size, path, unhex(result.ballots.root, "ballots root")))) {
    throw new Fail("receipt.inclusion", "receipt's ballot is not under the root");
  }
  say(`receipt ${receipt.tracker}: ballot seq ${proof.seq}, inclusion proof verified`);
}

export async function checkReceipt(receipt, ring, result, proof, say) {
  if (result.format === 2) return checkReceipt2(receipt, ring, result, proof, say);
  await verifyObject(receipt, ring, "receipt.signature");
  if (receipt.type !== "ballot-receipt" || receipt.proposal !== result.proposal.id) {
    throw new Fail("receipt.proposal", "the receipt is not for this result's proposal");
  }
  const { proposal, token, selection, cast_at, nonce } = receipt;
  const want = await digest({ proposal, token, selection, cast_at, nonce });
  if (want !== receipt.receipt) throw new Fail("receipt.hash", `receipt hash is ${receipt.receipt} but the fields give ${want}`);
  if (!proof) {
    say(`receipt ${receipt.receipt}: signature and hash verified (no inclusion proof given)`);
    return;
  }
  if (proof.index !== proof.seq - 1 || proof.size !== result.ballots.size || proof.leaf.seq !== proof.seq) {
    throw new Fail("receipt.proof", "the proof does not match this result's ballots");
  }
  for (const f of RECEIPT_FIELDS) {
    if (canon(proof.leaf[f]) !== canon(receipt[f])) throw new Fail("receipt.leaf", `the ballot leaf's ${f} differs from the receipt's`);
  }
  const path = proof.path.map((h) => unhex(h, "proof path"));
  const leaf = await leafHash(enc.encode(canon(proof.leaf)));
  if (!(await verifyInclusion(leaf, proof.index, proof.size, path, unhex(result.ballots.root, "ballots root")))) {
    throw new Fail("receipt.inclusion", "the ballot is not included under the ballots root");
  }
  say(`receipt ${receipt.receipt}: ballot seq ${proof.seq}, inclusion proof verified`);
}

const idle = async () => {};

export async function verifyAll(files, say, progress = idle, full = false) {
  const ring = await keyring(files.keys);
  const result = files.result;
  await verifyObject(result, ring, "result.signature");
  if (result.trust !== ring.trust) throw new Fail("result.trust", "the result names another trust");
  say(`result of proposal ${result.proposal.id}: signature verified (key ${result.signature.key_id})`);
  // The bundle's own checks come before the log's, as in `python -m ballots.verify`.
  if (files.roll || files.ballots) {
    if (!files.roll || !files.ballots) throw new Fail("format", "choose both roll.jsonl and ballots.jsonl to recount");
    if (result.format === 2) {
      if (!files.election || !files.tally) throw new Fail("format", "a secret vote also needs election.json and tally.json");
      await verifySecret(files, result, say, progress, full);
    } else {
      await recountOpen(files, result, say, progress);
    }
  } else {
    say("ballots not recounted (choose roll.jsonl and ballots.jsonl to recount them)");
  }
  await checkResultInLog(result, files.logProof, ring, files.policy, say);
  if (files.keysNote !== undefined) {
    const origin = files.logProof.checkpoint.split("\n", 1)[0];
    const note = await checkKeysNote(files.keysNote, files.keys, origin, { sha256, verifyEd, b64d, verifyObject, keyring });
    say(note.line);
    if (files.keysProof !== undefined) {
      const crypto = { digest, leafHash, verifyInclusion, openCheckpoint, keyring, unhex };
      say(await checkKeysProof(files.keysProof, note, files.policy, crypto));
    } else {
      say("keys: NOT witness-checked (choose trust-keys.proof.json to check it)");
    }
  } else {
    say("keys document: NOT signed-checked (choose trust-keys.note to check it)");
  }
  if (files.receipt) await checkReceipt(files.receipt, ring, result, files.receiptProof, say);
}

// The page: read the chosen files, check, and say what was found.
const form = document.getElementById("device-verify");
if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = document.getElementById("device-verify-lines");
    const status = document.getElementById("device-verify-status");
    out.textContent = "";
    const say = (line) => {
      const li = document.createElement("li");
      li.textContent = line;
      out.append(li);
    };
    const read = async (name) => {
      const file = form.elements[name].files[0];
      if (!file) return undefined;
      try {
        return JSON.parse(await file.text());
      } catch {
        throw new Fail("format", `${file.name} is not JSON`);
      }
    };
    const bar = document.getElementById("device-verify-progress");
    bar.value = 0;
    const progress = async (done, total) => {
      bar.max = Math.max(total, 1);
      bar.value = Math.min(done, bar.max);
      await new Promise((resolve) => setTimeout(resolve, 0)); // let the page draw it
    };
    status.dataset.ok = "";
    status.textContent = status.dataset.busyText;
    try {
      const files = {};
      for (const [key, name] of [["result", "result"], ["keys", "keys"], ["logProof", "log_proof"],
        ["policy", "policy"], ["receipt", "receipt"], ["receiptProof", "receipt_proof"],
        ["election", "election"], ["tally", "tally"], ["keysProof", "keys_proof"]]) {
        files[key] = await read(name);
      }
      const note = form.elements.keys_note.files[0];
      if (note) files.keysNote = await note.text();
      // Streamed, never read whole: a vote's ballots can run to many megabytes.
      files.roll = form.elements.roll.files[0];
      files.ballots = form.elements.ballots.files[0];
      if (!files.result || !files.keys || !files.logProof || !files.policy) {
        throw new Fail("format", "choose result.json, trust-keys.json, log-proof.json and trust-witnesses.json");
      }
      await verifyAll(files, say, progress, form.elements.all_proofs.checked);
      bar.value = bar.max;
      status.dataset.ok = "true";
      status.dataset.code = "";
      status.textContent = status.dataset.okText;
    } catch (err) {
      status.dataset.ok = "false";
      status.dataset.code = err.code || "error";
      status.textContent = `${status.dataset.failText} ${err.message} [${err.code || "error"}]`;
    }
  });
}
