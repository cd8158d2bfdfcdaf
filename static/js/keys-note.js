// The signed keys document (/.well-known/trust-keys.note), checked on the reader's device as
// ballots/keysnote.py checks it, with the same codes: a C2SP signed note whose text is one line
// of canonical JSON {endorsements, keys, trust, type: "trust-keys"}; it must say what
// trust-keys.json says; each key after the first is endorsed by the key before it (a signed
// key.endorsement statement); and the current key (the last, never retired) signed the note
// under the log's origin (Ed25519 note signature, type 0x01).
import { Fail, canon, concat, enc, equal, exactKeys } from "./verify-common.js";

const BODY = ["endorsements", "keys", "trust", "type"];
const STATEMENT = ["key_id", "public_key", "signature", "trust", "type", "valid_from"];

// `crypto`: what device-verify.js already has (sha256, verifyEd, b64d, verifyObject, keyring).
export async function checkKeysNote(note, keysDoc, origin, crypto) {
  const { sha256, verifyEd, b64d, verifyObject, keyring } = crypto;
  if (typeof note !== "string" || /[\x00-\x09\x0b-\x1f]/.test(note)) {
    throw new Fail("keys.note_format", "trust-keys.note: not a signed note");
  }
  const cut = note.lastIndexOf("\n\n");
  const sigLines = note.slice(cut + 2).split("\n");
  if (cut < 0 || sigLines.pop() !== "" || !sigLines.length) {
    throw new Fail("keys.note_format", "trust-keys.note: not a signed note");
  }
  const text = note.slice(0, cut + 1);
  const line = text.slice(0, -1);
  if (line.includes("\n")) throw new Fail("keys.note_format", "the keys note's text is one line of JSON");
  let body;
  try {
    body = JSON.parse(line);
  } catch {
    throw new Fail("keys.note_format", "the keys note is not JSON");
  }
  if (canon(body) !== line) throw new Fail("keys.note_format", "the keys note's JSON is not in canonical form");
  if (!exactKeys(body, BODY) || body.type !== "trust-keys") {
    throw new Fail("keys.note_format", `the keys note must have exactly ${BODY}`);
  }
  const document = { trust: body.trust, keys: body.keys };
  const ring = await keyring(document);
  const entries = body.keys;
  const current = entries[entries.length - 1];
  if (!current || current.valid_until !== null || !Array.isArray(entries)) {
    throw new Fail("keys.note_format", "the last key listed must be the current key");
  }
  const ends = body.endorsements;
  if (!Array.isArray(ends) || ends.length !== entries.length) {
    throw new Fail("keys.endorsement", "one endorsement (or null) per key is needed");
  }
  if (ends[0] !== null) throw new Fail("keys.endorsement", "the first key has no key before it to endorse it");
  for (let i = 1; i < entries.length; i++) {
    const [key, previous, statement] = [entries[i], entries[i - 1], ends[i]];
    const where = `key ${i + 1} (${key.key_id})`;
    if (previous.valid_until === null || key.valid_from < previous.valid_from) {
      throw new Fail("keys.endorsement", `${where} follows a key that was never retired`);
    }
    if (!exactKeys(statement, STATEMENT)) throw new Fail("keys.endorsement", `${where}: the endorsement is malformed`);
    const want = { type: "key.endorsement", trust: body.trust, key_id: key.key_id,
      public_key: key.public_key, valid_from: key.valid_from };
    const { signature, ...said } = statement;
    if (canon(said) !== canon(want)) throw new Fail("keys.endorsement", `${where}: the endorsement names another key`);
    if (!signature || signature.key_id !== previous.key_id) {
      throw new Fail("keys.endorsement", `${where} is not endorsed by the key before it`);
    }
    const only = { trust: ring.trust, keys: new Map([[previous.key_id, ring.keys.get(previous.key_id)]]) };
    try {
      await verifyObject(statement, only, "keys.endorsement");
    } catch (err) {
      throw new Fail("keys.endorsement", `${where}: ${err.message}`);
    }
  }
  const raw = ring.keys.get(current.key_id).raw;
  const id = (await sha256(concat(enc.encode(origin + "\n"), [1], raw))).subarray(0, 4);
  const textBytes = enc.encode(text);
  let signed = false;
  for (const sigLine of sigLines) {
    const m = /^\u2014 ([^ ]+) ([^ ]+)$/.exec(sigLine);
    if (!m) throw new Fail("keys.note_format", "trust-keys.note: bad signature line");
    const blob = b64d(m[2], "signature");
    if (m[1] !== origin || !equal(blob.subarray(0, 4), id)) continue;
    if (blob.length !== 68 || !(await verifyEd(blob.subarray(4), textBytes, raw))) {
      throw new Fail("keys.note_signature", "the current key's signature does not verify");
    }
    signed = true;
  }
  if (!signed) {
    throw new Fail("keys.note_signature", `the current key ${current.key_id} did not sign it as ${origin}`);
  }
  // Last, as in ballots/keysnote.py: a note in itself sound, but not what the server serves.
  if (canon(document) !== canon(keysDoc)) {
    throw new Fail("keys.mismatch", "trust-keys.json differs from the signed keys document");
  }
  const n = entries.length;
  const chain = n > 1 ? `${n - 1} endorsement${n === 2 ? "" : "s"}` : "a single key";
  return `keys document signed by the current key ${current.key_id} as ${origin}; ${chain} verified`;
}
