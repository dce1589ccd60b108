// Check an audit entry's inclusion in the signed log in this browser, with WebCrypto, so an
// auditor need not trust the server's "verified" (issue #15). For each element marked
// data-verify-proof (see templates/_verify.html) it:
//   1. parses the checkpoint's signed note (C2SP signed-note / tlog-checkpoint): origin, tree
//      size, base64 root hash, then "— <name> base64(key id ‖ Ed25519 signature)";
//   2. checks the note names the key given in the page's key field (a C2SP verifier key,
//      "name+hexid+base64(0x01 ‖ 32-byte key)"; the reader may paste the key they hold): the
//      key id is SHA-256(name ‖ "\n" ‖ 0x01 ‖ key)[:4], and the Ed25519 signature over the body
//      verifies (RFC 8032, WebCrypto "Ed25519");
//   3. when the entry's content is given, recomputes its leaf hash, SHA-256(0x00 ‖ RFC 8785
//      canonical JSON) (RFC 9162 §2.1.1), and compares it with the proof's leaf hash;
//   4. folds the inclusion path up to a root (RFC 9162 §2.1.3.2; node = SHA-256(0x01 ‖ l ‖ r))
//      and compares it with the root read from the signed note, at the signed tree size.
// The outcome goes into the element's <output>: "verified …" or "failed: <why>".
// No inline script (the Content-Security-Policy forbids it): the page loads this file.
"use strict";

(function () {
  const enc = new TextEncoder();

  function fail(why) {
    const e = new Error(why);
    e.verifyFailure = true;
    return e;
  }

  function hexToBytes(hex) {
    if (typeof hex !== "string" || !/^([0-9a-f]{2})*$/i.test(hex)) throw fail("a hash is not hex");
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }

  function bytesToHex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function b64ToBytes(text) {
    let bin;
    try {
      bin = atob(text);
    } catch (_) {
      throw fail("not base64: " + text.slice(0, 20));
    }
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  function equal(a, b) {
    return a.length === b.length && a.every((v, i) => v === b[i]);
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  const leafHash = (data) => sha256(concat(Uint8Array.of(0), data));
  const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

  // RFC 8785 (JCS): members sorted by UTF-16 code units, no whitespace; strings and
  // numbers exactly as ECMAScript's JSON.stringify writes them (the RFC's own definition).
  function canonical(value) {
    if (value === null || typeof value !== "object") {
      if (typeof value === "number" && !Number.isFinite(value)) throw fail("entry holds a non-finite number");
      return JSON.stringify(value);
    }
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
  }

  // C2SP signed note: body lines, a blank line, then signature lines.
  function parseNote(note) {
    const cut = note.indexOf("\n\n");
    if (cut < 0) throw fail("the checkpoint has no signature block");
    const body = note.slice(0, cut + 1);
    const lines = body.split("\n");
    if (lines.length < 4) throw fail("the checkpoint body needs origin, size and root lines");
    if (!/^[0-9]+$/.test(lines[1])) throw fail("the checkpoint's tree size is not a number");
    const root = b64ToBytes(lines[2]);
    if (root.length !== 32) throw fail("the checkpoint's root hash is not 32 bytes");
    const sigLine = note.slice(cut + 2).split("\n")[0];
    const m = /^\u2014 (\S+) (\S+)$/.exec(sigLine);
    if (!m) throw fail("the checkpoint's signature line is malformed");
    const blob = b64ToBytes(m[2]);
    if (blob.length !== 68) throw fail("the checkpoint's signature has the wrong length");
    return {
      body,
      size: BigInt(lines[1]),
      root,
      keyName: m[1],
      keyId: blob.slice(0, 4),
      signature: blob.slice(4),
    };
  }

  // C2SP verifier key: name+hexid+base64(0x01 ‖ Ed25519 public key).
  async function parseVerifierKey(text) {
    // The name holds no "+", the id is hex; the base64 key may hold "+" itself.
    const m = /^([^+\s]+)\+([0-9a-fA-F]{8})\+(\S+)$/.exec((text || "").trim());
    if (!m) throw fail("the key is not a name+id+key verifier key");
    const [, name, hexId, b64] = m;
    const raw = b64ToBytes(b64);
    if (raw.length !== 33 || raw[0] !== 1) throw fail("the key is not an Ed25519 verifier key");
    const pub = raw.slice(1);
    const id = (await sha256(concat(enc.encode(name), Uint8Array.of(0x0a, 0x01), pub))).slice(0, 4);
    if (bytesToHex(id) !== hexId.toLowerCase()) throw fail("the key's id does not match the key");
    return { name, id, pub };
  }

  async function verifySignature(note, key) {
    if (note.keyName !== key.name || !equal(note.keyId, key.id)) {
      throw fail("the checkpoint was signed by key " + note.keyName + "+" + bytesToHex(note.keyId) +
        ", not by the key given (" + key.name + "+" + bytesToHex(key.id) + ")");
    }
    let cryptoKey;
    try {
      cryptoKey = await crypto.subtle.importKey("raw", key.pub, { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      throw fail("this browser cannot check Ed25519 signatures (" + e.message + ")");
    }
    const ok = await crypto.subtle.verify({ name: "Ed25519" }, cryptoKey, note.signature, enc.encode(note.body));
    if (!ok) throw fail("the checkpoint's signature does not verify");
  }

  // RFC 9162 §2.1.3.2: the root an inclusion path leads to.
  async function rootFromPath(index, size, leaf, path) {
    if (index >= size) throw fail("the entry is not inside the tree");
    let fn = index;
    let sn = size - 1n;
    let r = leaf;
    for (const p of path) {
      if (sn === 0n) throw fail("the inclusion path is too long");
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        if ((fn & 1n) === 0n) {
          while ((fn & 1n) === 0n && fn !== 0n) {
            fn >>= 1n;
            sn >>= 1n;
          }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    if (sn !== 0n) throw fail("the inclusion path is too short");
    return r;
  }

  async function check(proof, keyText) {
    if (!window.crypto || !crypto.subtle) throw fail("WebCrypto needs a secure context (HTTPS)");
    const note = parseNote(proof.note);
    await verifySignature(note, await parseVerifierKey(keyText));
    if (BigInt(proof.tree_size) !== note.size) {
      throw fail("the proof is for a tree of " + proof.tree_size + " entries, the checkpoint signs " + note.size);
    }
    let leaf = hexToBytes(proof.leaf_hash);
    let from = "its leaf hash (the entry's content is outside your scope)";
    if (proof.entry !== null && proof.entry !== undefined) {
      const computed = await leafHash(enc.encode(canonical(JSON.parse(proof.entry))));
      if (!equal(computed, leaf)) throw fail("the entry's content does not hash to its leaf hash");
      leaf = computed;
      from = "the entry's content";
    }
    const path = proof.path.map(hexToBytes);
    if (path.some((h) => h.length !== 32)) throw fail("a path hash is not 32 bytes");
    const root = await rootFromPath(BigInt(proof.leaf_index), note.size, leaf, path);
    if (!equal(root, note.root)) throw fail("the path does not lead to the signed root");
    return "verified: entry " + proof.leaf_index + " is in the tree of " + note.size +
      " entries signed by " + note.keyName + " (checked from " + from + ")";
  }

  async function run(box) {
    const out = box.querySelector("output");
    const keyField = document.getElementById("verifier-key");
    out.className = "";
    out.textContent = "checking…";
    try {
      const proof = JSON.parse(box.getAttribute("data-verify-proof"));
      out.textContent = await check(proof, keyField ? keyField.value : "");
      out.className = "ok";
    } catch (e) {
      out.textContent = "failed: " + (e.verifyFailure ? e.message : "the proof could not be read (" + e.message + ")");
      out.className = "bad";
    }
    box.setAttribute("data-verify-state", out.className === "ok" ? "verified" : "failed");
  }

  function runAll() {
    return Promise.all(Array.from(document.querySelectorAll("[data-verify-proof]"), run));
  }

  function start() {
    for (const button of document.querySelectorAll("[data-verify-all]")) {
      button.addEventListener("click", runAll);
    }
    runAll();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
