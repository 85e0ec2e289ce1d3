// The party's Ed25519 key, loaded from the PKCS#8 PEM file `scrapledger keygen` writes.
// It never leaves the browser: it is kept in memory, or in this tab's sessionStorage only
// when the user ticks "keep for this tab".

import { canonicalBytes, sha256, toHex } from "./jcs.js";

const STORE = "scrapledger.key.pem";

function pemBody(pem) {
  const match = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(pem);
  if (!match) throw new Error("this is not a PKCS#8 private key file (-----BEGIN PRIVATE KEY-----)");
  return Uint8Array.from(atob(match[1].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
}

function base64urlBytes(text) {
  const plain = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(plain + "=".repeat((4 - (plain.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

export class BrowserKey {
  constructor(privateKey, publicKeyHex, keyId, pem) {
    this.privateKey = privateKey;
    this.publicKeyHex = publicKeyHex;
    this.keyId = keyId;
    this.pem = pem;
  }

  static async fromPem(pem) {
    let key;
    try {
      key = await crypto.subtle.importKey("pkcs8", pemBody(pem), { name: "Ed25519" }, true, ["sign"]);
    } catch (error) {
      throw new Error(error.message.startsWith("this is not") ? error.message
        : "the file does not hold an Ed25519 private key");
    }
    const jwk = await crypto.subtle.exportKey("jwk", key);
    const publicKey = base64urlBytes(jwk.x);
    const signer = await crypto.subtle.importKey("pkcs8", pemBody(pem), { name: "Ed25519" }, false, ["sign"]);
    return new BrowserKey(signer, toHex(publicKey), toHex(await sha256(publicKey)), pem);
  }

  async sign(bytes) {
    return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, this.privateKey, bytes));
  }

  keepForTab() { sessionStorage.setItem(STORE, this.pem); }

  static forget() { sessionStorage.removeItem(STORE); }

  static async kept() {
    const pem = sessionStorage.getItem(STORE);
    return pem ? BrowserKey.fromPem(pem) : null;
  }
}

// The envelope {submission, signature} for one entry, signed over JCS(submission) (format.md §4).
export async function signedEnvelope(key, { log, party, type, body, submissionId, timestamp }) {
  const submission = {
    log, party, key_id: key.keyId,
    submission_id: submissionId || crypto.randomUUID(),
    timestamp: timestamp || new Date().toISOString(),
    type, body,
  };
  return { submission, signature: toHex(await key.sign(canonicalBytes(submission))) };
}

