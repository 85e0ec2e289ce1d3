// Re-checks a scrapledger verification report with no server, as docs/format.md §14 prescribes:
// the log's signature over the report, the signed checkpoint (§8), every evidence entry's leaf hash
// and inclusion proof (§5.2, §7.2), every entry's signature against the key history built from the
// evidence (§6), the cited entries and the verdict. The verifier page inlines this file with jcs.js,
// so that a saved copy of the page works from file:// with no network.

import { canonicalBytes, fromHex, sha256, toHex } from "./jcs.js";

export const REPORT_CONTEXT = "scrapledger verification report v1\n";
const ORDER = { pass: 0, warn: 1, fail: 2 };
const ENTRY_FIELDS = ["index", "prev_hash", "recorded_at", "signature", "submission"];
const SUBMISSION_FIELDS = ["body", "key_id", "log", "party", "submission_id", "timestamp", "type"];

export class ReportError extends Error {}

function fail(message) { throw new ReportError(message); }

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

function sameBytes(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function hex(text, bytes, what) {
  if (typeof text !== "string" || text.length !== 2 * bytes || !/^[0-9a-f]*$/.test(text)) {
    fail(`${what} must be ${2 * bytes} lowercase hex digits`);
  }
  return fromHex(text);
}

// Canonical padded base64 (RFC 4648 §4): decoding and re-encoding gives the same text.
function base64(text, what) {
  let bytes;
  try {
    bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    fail(`${what} is not base64`);
  }
  if (btoa(String.fromCharCode(...bytes)) !== text) fail(`${what} is not canonical padded base64`);
  return bytes;
}

async function ed25519Verify(publicKey, signature, message) {
  const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
}

// §8.3: <name>+<note key id, 8 hex>+<base64(0x01 || public key)>.
export async function parseVkey(vkey) {
  const text = String(vkey).trim();
  const first = text.indexOf("+");
  const second = text.indexOf("+", first + 1);
  if (first <= 0 || second < 0) fail("the log key is not a verifier key (name+keyid+key)");
  const name = text.slice(0, first);
  const keyId = hex(text.slice(first + 1, second), 4, "the log key's key id");
  const blob = base64(text.slice(second + 1), "the log key");
  if (blob.length !== 33 || blob[0] !== 1) fail("the log key is not an Ed25519 verifier key");
  const publicKey = blob.slice(1);
  const expected = (await sha256(concat(new TextEncoder().encode(name + "\n"), Uint8Array.of(1), publicKey))).slice(0, 4);
  if (!sameBytes(expected, keyId)) fail("the log key's key id does not match its public key");
  return { name, keyId, publicKey, text };
}

// §8.1 and §8.2: open the signed note with the log key; return {origin, size, root}.
export async function openCheckpoint(note, vkey) {
  if (typeof note !== "string" || !note.endsWith("\n")) fail("the checkpoint must end with a newline");
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) fail("the checkpoint contains a control character");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) fail("the checkpoint has no signature block");
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2).split("\n").slice(0, -1);
  if (lines.length === 0 || lines.length > 100) fail("the checkpoint's signature block is malformed");
  const message = new TextEncoder().encode(text);
  let signed = false;
  for (const line of lines) {
    const match = /^\u2014 ([^\s+]+) (\S+)$/.exec(line);
    if (!match) fail("a checkpoint signature line is malformed");
    const blob = base64(match[2], "a checkpoint signature");
    if (blob.length <= 4) fail("a checkpoint signature is too short");
    if (match[1] !== vkey.name || !sameBytes(blob.slice(0, 4), vkey.keyId)) continue;
    if (blob.length !== 68 || !(await ed25519Verify(vkey.publicKey, blob.slice(4), message))) {
      fail("the checkpoint's signature by the log key does not verify");
    }
    signed = true;
  }
  if (!signed) fail("the checkpoint is not signed by this log key");
  const [origin, size, root, ...extensions] = text.slice(0, -1).split("\n");
  if (!origin || root === undefined || extensions.some((line) => line === "")) fail("the checkpoint body is malformed");
  if (origin !== vkey.name) fail(`the checkpoint names the log ${origin}, not ${vkey.name}`);
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) fail("the checkpoint's tree size is malformed");
  const rootHash = base64(root, "the checkpoint's root hash");
  if (rootHash.length !== 32) fail("the checkpoint's root hash is not 32 bytes");
  return { origin, size: Number(size), root: rootHash };
}

async function node(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

// §7.2, RFC 9162 §2.1.3.2.
export async function verifyInclusion(index, size, leaf, path, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of path) {
    if (p.length !== 32 || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await node(p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await node(r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && sameBytes(r, root);
}

// §6.2 and §6.3: the key history of the evidence entries, in index order.
class KeyRing {
  constructor() { this.keys = new Map(); }

  async apply(type, body, index) {
    const add = async (publicKeyHex) => {
      const publicKey = hex(publicKeyHex, 32, "a registered public key");
      this.keys.set(toHex(await sha256(publicKey)), { party: body.party_id, publicKey, addedAt: index, endedAt: null });
    };
    const end = (keyId) => {
      const key = this.keys.get(keyId);
      if (key && key.endedAt === null && key.party === body.party_id) key.endedAt = index;
    };
    if (type === "party.register") for (const key of body.public_keys) await add(key);
    if (type === "party.rotate_key") {
      await add(body.new_public_key);
      if ("retire_key_id" in body) end(body.retire_key_id);
    }
    if (type === "party.revoke_key") end(body.key_id);
  }

  activeKey(party, keyId, index) {
    const key = this.keys.get(keyId);
    if (!key || key.party !== party) fail(`entry ${index}: its key is not registered to ${party} in the evidence`);
    if (!(key.addedAt < index && (key.endedAt === null || index <= key.endedAt))) {
      fail(`entry ${index}: its key was not active at that entry`);
    }
    return key.publicKey;
  }
}

function checkEntryShape(item) {
  const entry = item.entry;
  if (!entry || typeof entry !== "object" || Object.keys(entry).sort().join() !== ENTRY_FIELDS.join()) {
    fail(`evidence entry ${item.index}: must have exactly the fields ${ENTRY_FIELDS.join(", ")}`);
  }
  const submission = entry.submission;
  if (!submission || typeof submission !== "object" || Object.keys(submission).sort().join() !== SUBMISSION_FIELDS.join()) {
    fail(`evidence entry ${item.index}: its submission must have exactly the fields ${SUBMISSION_FIELDS.join(", ")}`);
  }
  if (entry.index !== item.index) fail(`evidence entry ${item.index} carries another index (${entry.index})`);
  hex(entry.prev_hash, 32, `entry ${entry.index}: prev_hash`);
}

async function entrySigningKey(entry, keyring, origin) {
  const submission = entry.submission;
  if (submission.log !== origin) fail(`entry ${entry.index}: its submission names the log ${submission.log}, not ${origin}`);
  if (entry.index > 0) return keyring.activeKey(submission.party, submission.key_id, entry.index);
  const body = submission.body;
  if (submission.type !== "party.register" || submission.party !== body.party_id || !body.roles.includes("operator")) {
    fail("entry 0 must be the operator registering itself");
  }
  for (const key of body.public_keys) {
    const publicKey = hex(key, 32, "a genesis public key");
    if (toHex(await sha256(publicKey)) === submission.key_id) return publicKey;
  }
  fail("entry 0 is not signed by a key it registers");
}

// Check one report; `trustedVkey` pins the log key (else the report's own is used).
// Returns {steps, summary}; throws ReportError naming the first thing that is wrong.
export async function checkReport(report, trustedVkey, onStep = () => {}) {
  const steps = [];
  const step = (text) => { steps.push(text); onStep(text); };
  if (!report || typeof report !== "object" || !("signature" in report) || !report.evidence) {
    fail("this is not a scrapledger verification report");
  }
  const evidence = report.evidence;
  const vkey = await parseVkey(trustedVkey || evidence.log_vkey || "");
  if (trustedVkey && evidence.log_vkey !== vkey.text) fail("the report names another log key than the trusted one");
  step(trustedVkey ? `Log key ${vkey.name} pinned (it matches the key the report names).`
    : `Log key taken from the report itself (${vkey.name}); pin a trusted key to rule out a forged log.`);

  const unsigned = Object.fromEntries(Object.entries(report).filter(([name]) => name !== "signature"));
  const signature = hex(report.signature, 64, "the report's signature");
  const message = concat(new TextEncoder().encode(REPORT_CONTEXT), canonicalBytes(unsigned));
  if (!(await ed25519Verify(vkey.publicKey, signature, message))) fail("the log's signature over the report does not verify: the report was altered");
  step("The log's Ed25519 signature over the whole report (RFC 8785 canonical JSON) verifies.");

  const checkpoint = await openCheckpoint(evidence.checkpoint, vkey);
  step(`The checkpoint is signed by the log key: ${checkpoint.size} entries, root ${toHex(checkpoint.root)}.`);

  const keyring = new KeyRing();
  const seen = new Set();
  const entries = [...evidence.entries].sort((a, b) => a.index - b.index);
  for (const item of entries) {
    checkEntryShape(item);
    const entry = item.entry;
    const leaf = await sha256(concat(Uint8Array.of(0), canonicalBytes(entry)));
    const proof = item.inclusion_proof.map((nodeHex) => hex(nodeHex, 32, `entry ${entry.index}: a proof hash`));
    if (!(await verifyInclusion(entry.index, checkpoint.size, leaf, proof, checkpoint.root))) {
      fail(`entry ${entry.index} is not in the tree of the signed checkpoint (its inclusion proof fails)`);
    }
    const publicKey = await entrySigningKey(entry, keyring, vkey.name);
    const entrySignature = hex(entry.signature, 64, `entry ${entry.index}: signature`);
    if (!(await ed25519Verify(publicKey, entrySignature, canonicalBytes(entry.submission)))) {
      fail(`entry ${entry.index}: the signature of ${entry.submission.party} does not verify`);
    }
    await keyring.apply(entry.submission.type, entry.submission.body, entry.index);
    seen.add(entry.index);
  }
  step(`${entries.length} evidence entries: each is in the signed tree (inclusion proof) and signed by a key its party held then.`);

  for (const check of report.checks) {
    const missing = check.entries.filter((index) => !seen.has(index));
    if (missing.length) fail(`check ${check.name} cites entries ${missing.join(", ")} that are not in the evidence`);
  }
  const unknown = report.checks.find((check) => !(check.status in ORDER));
  if (unknown) fail(`check ${unknown.name} has the unknown status ${unknown.status}`);
  const worst = report.checks.reduce((found, check) => (ORDER[check.status] > ORDER[found] ? check.status : found), "pass");
  if (worst !== report.verdict) fail("the verdict does not follow from the checks");
  step(`Every entry a check cites is in the evidence, and the verdict "${report.verdict}" is the worst of the ${report.checks.length} checks.`);
  return { steps, size: checkpoint.size, vkey: vkey.text, pinned: Boolean(trustedVkey) };
}
