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
  const summary = `keys document signed by the current key ${current.key_id} as ${origin}; ${chain} verified`;
  return { line: summary, origin, document, endorsements: ends };
}

const LEAF = ["at", "index", "sha256", "subject", "type"];
const ENTRY = ["inclusion", "leaf", "record"];

// trust-keys.proof.json (ballots/keysproof.py): each key's log record, its leaf and its
// inclusion proof under a checkpoint the policy's quorum of witnesses cosigned.
export async function checkKeysProof(doc, note, policy, crypto) {
  const { digest, leafHash, verifyInclusion, openCheckpoint, keyring, unhex } = crypto;
  if (!exactKeys(doc, ["checkpoint", "keys", "type"])) {
    throw new Fail("keys.log_format", "trust-keys.proof.json is {type, checkpoint, keys}");
  }
  if (doc.type !== "trust-keys.proof" || typeof doc.checkpoint !== "string") {
    throw new Fail("keys.log_format", "trust-keys.proof.json is of type trust-keys.proof");
  }
  if (doc.checkpoint.split("\n", 1)[0] !== note.origin) {
    throw new Fail("keys.log_origin", "the keys' checkpoint is of another log than the keys note's");
  }
  let cp;
  try {
    cp = await openCheckpoint(doc.checkpoint, await keyring(note.document), policy);
  } catch (err) {
    throw new Fail(`keys.log_${String(err.code).replace(/^log\./, "")}`, `the keys' checkpoint: ${err.message}`);
  }
  const keys = note.document.keys;
  if (!Array.isArray(doc.keys) || doc.keys.length !== keys.length) {
    throw new Fail("keys.log_format", `one log entry per key (${keys.length}) is needed`);
  }
  const indices = [];
  for (let i = 0; i < keys.length; i++) {
    const [key, entry] = [keys[i], doc.keys[i]];
    const where = `key ${i + 1} (${key.key_id})`;
    if (!exactKeys(entry, ENTRY)) throw new Fail("keys.log_format", `${where}: an entry is {leaf, record, inclusion}`);
    const { leaf, record, inclusion } = entry;
    if (leaf === null) throw new Fail("keys.unlogged", `${where} is published but its creation is not in the log`);
    if (!record || typeof record !== "object" || !["key.created", "key.rotated"].includes(record.type)) {
      throw new Fail("keys.log_record", `${where}: the log record is not a key record`);
    }
    if (i > 0 && record.type !== "key.rotated") throw new Fail("keys.log_record", `${where}: a later key is logged as a rotation`);
    const want = { key_id: key.key_id, public_key: key.public_key, valid_from: key.valid_from,
      previous: i ? keys[i - 1].key_id : null };
    for (const [name, value] of Object.entries(want)) {
      if (record[name] !== value) throw new Fail("keys.log_record", `${where}: the log records another ${name} than the document`);
    }
    if (canon(record.endorsement ?? null) !== canon(note.endorsements[i])) {
      throw new Fail("keys.log_record", `${where}: the log carries another endorsement than the note`);
    }
    if (!exactKeys(leaf, LEAF) && !exactKeys(leaf, [...LEAF, "logged_at"])) {
      throw new Fail("keys.log_format", `${where}: the leaf does not have the leaf members`);
    }
    if (leaf.type !== record.type || leaf.subject !== key.key_id || leaf.sha256 !== (await digest(record))) {
      throw new Fail("keys.log_record", `${where}: the leaf does not commit to this key record`);
    }
    if (inclusion === null) {
      throw new Fail("keys.unwitnessed", `${where} is in the log after the last cosigned checkpoint (size ${cp.size}); ask again after the witnesses next cosign`);
    }
    if (!exactKeys(inclusion, ["index", "path", "size"]) || !Array.isArray(inclusion.path)) {
      throw new Fail("keys.log_format", `${where}: inclusion is {index, size, path}`);
    }
    if (inclusion.index !== leaf.index || inclusion.size !== cp.size || !Number.isSafeInteger(leaf.index)) {
      throw new Fail("keys.log_inclusion", `${where}: the proof is for leaf ${inclusion.index} of ${inclusion.size}, the checkpoint's size is ${cp.size}`);
    }
    let path;
    try {
      path = inclusion.path.map((h) => unhex(h, "inclusion path"));
    } catch {
      throw new Fail("keys.log_inclusion", `${where}: the path is not hex hashes`);
    }
    if (!(await verifyInclusion(await leafHash(enc.encode(canon(leaf))), leaf.index, cp.size, path, cp.root))) {
      throw new Fail("keys.log_inclusion", `${where}: leaf ${leaf.index} is not under the checkpoint`);
    }
    indices.push(leaf.index);
  }
  if (indices.some((x, j) => j > 0 && x <= indices[j - 1])) {
    throw new Fail("keys.log_inclusion", "the keys' leaves are not in the log's order");
  }
  return `keys witnessed: all ${keys.length} key record${keys.length === 1 ? "" : "s"} in the log (leaves ${indices.join(", ")}) under checkpoint ${cp.size} cosigned by ${cp.cosigned.size} witnesses (quorum ${policy.quorum})`;
}
