// RFC 8785 (JCS) canonical JSON, for the values scrapledger signs and hashes (docs/format.md §2).
// Object members sort by UTF-16 code units (JavaScript's own string order), and strings and
// numbers serialise as ECMAScript's JSON.stringify does, which is what RFC 8785 prescribes.

export function canonicalize(value) {
  if (value === null || typeof value === "boolean" || typeof value === "string") {
    return JSON.stringify(value);
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("JCS: numbers must be finite");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return "[" + value.map(canonicalize).join(",") + "]";
  }
  if (typeof value === "object") {
    const names = Object.keys(value).filter((name) => value[name] !== undefined).sort();
    return "{" + names.map((name) => JSON.stringify(name) + ":" + canonicalize(value[name])).join(",") + "}";
  }
  throw new TypeError(`JCS: cannot canonicalize a ${typeof value}`);
}

export function canonicalBytes(value) {
  return new TextEncoder().encode(canonicalize(value));
}

export function toHex(bytes) {
  return Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function fromHex(text) {
  if (!/^(?:[0-9a-f]{2})*$/.test(text)) throw new TypeError("not lowercase hex");
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}
