// An independent checker of a C2SP checkpoint and its cosignatures, written from the spec texts
// (c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature) and nothing else of this project:
// Node's own crypto (OpenSSL) for SHA-256 and Ed25519, no dependency.
//
//   node c2sp_check.mjs CHECKPOINT_FILE LOG_VKEY POLICY_JSON_FILE
//
// Prints "OK <origin> <size> <n> cosignatures" and exits 0 when the log signed the checkpoint
// and at least `quorum` of the policy's witnesses cosigned it; else prints why and exits 1.
import { createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";

function fail(why) {
  console.log("REJECT " + why);
  process.exit(1);
}

const b64 = (s) => {
  const buf = Buffer.from(s, "base64");
  if (buf.toString("base64") !== s) fail("non-canonical base64: " + s);
  return buf;
};

// signed-note: name+hex(keyid)+base64(type||key); key id = SHA-256(name||\n||type||key)[:4]
function parseVkey(text) {
  const i = text.indexOf("+");
  const j = text.indexOf("+", i + 1);
  const name = text.slice(0, i);
  const id = text.slice(i + 1, j);
  const material = b64(text.slice(j + 1));
  const want = createHash("sha256")
    .update(Buffer.concat([Buffer.from(name + "\n"), material]))
    .digest()
    .subarray(0, 4)
    .toString("hex");
  if (id !== want || material.length !== 33) fail("bad vkey " + text);
  return { name, id: Buffer.from(id, "hex"), type: material[0], key: material.subarray(1) };
}

function ed25519Verify(rawKey, message, signature) {
  const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), rawKey]);
  const key = createPublicKey({ key: spki, format: "der", type: "spki" });
  return verify(null, message, key, signature);
}

const [noteFile, logVkey, policyFile] = process.argv.slice(2);
const raw = readFileSync(noteFile);
const note = raw.toString("utf8");
if (!Buffer.from(note, "utf8").equals(raw)) fail("not UTF-8");
if (/[\x00-\x09\x0b-\x1f]/.test(note)) fail("control character");
const cut = note.lastIndexOf("\n\n");
if (cut < 0) fail("no blank line");
const text = note.slice(0, cut + 1);
const sigLines = note.slice(cut + 2).split("\n");
if (sigLines.pop() !== "") fail("signatures must end with a newline");

// tlog-checkpoint: origin, decimal size without leading zeros, base64 32-byte root.
const lines = text.slice(0, -1).split("\n");
if (lines.length < 3 || lines.some((l) => l === "")) fail("checkpoint needs three lines");
const [origin, size, root] = lines;
if (!/^(0|[1-9][0-9]*)$/.test(size)) fail("bad size line");
if (b64(root).length !== 32) fail("root is not 32 bytes");

const log = parseVkey(logVkey);
if (log.type !== 0x01 || log.name !== origin) fail("log vkey is not Ed25519 for this origin");
const policy = JSON.parse(readFileSync(policyFile, "utf8"));
const witnesses = policy.witnesses.map(parseVkey);
if (witnesses.some((w) => w.type !== 0x04)) fail("a witness key is not cosignature/v1");

let logOk = false;
const cosigned = new Set();
const textBytes = Buffer.from(text, "utf8");
for (const line of sigLines) {
  const m = /^\u2014 ([^ ]+) ([^ ]+)$/.exec(line);
  if (!m) fail("bad signature line");
  const blob = b64(m[2]);
  const id = blob.subarray(0, 4);
  const sig = blob.subarray(4);
  if (m[1] === log.name && id.equals(log.id)) {
    if (sig.length !== 64 || !ed25519Verify(log.key, textBytes, sig)) fail("log signature bad");
    logOk = true;
    continue;
  }
  for (const [n, w] of witnesses.entries()) {
    if (m[1] !== w.name || !id.equals(w.id)) continue;
    if (sig.length !== 72) fail("cosignature is not 8+64 bytes");
    const time = sig.readBigUInt64BE(0);
    const message = Buffer.concat([Buffer.from(`cosignature/v1\ntime ${time}\n`), textBytes]);
    if (!ed25519Verify(w.key, message, sig.subarray(8))) fail("cosignature by " + w.name + " bad");
    cosigned.add(n);
  }
}
if (!logOk) fail("the log did not sign");
if (cosigned.size < policy.quorum) fail(`${cosigned.size} cosignatures, quorum ${policy.quorum}`);
console.log(`OK ${origin} ${size} ${cosigned.size} cosignatures`);
