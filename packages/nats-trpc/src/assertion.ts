import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Caller, CallerScope, ProcedureCall } from './call.js';

/**
 * Call assertions: who makes a call, signed by the calling app. Every call on the bus carries
 * one (header `atrium-assertion`), so a service knows the calling app and, for a user-scoped
 * call, the end user — without trusting anything else in the message and without a round trip.
 *
 * Format: `<claims>.<JWS>`. The claims are base64url JSON (below). The JWS, in compact
 * serialisation (RFC 7515), `alg: EdDSA` (Ed25519) with the signing key's id as `kid`, signs a
 * *batch*: `{"h": [...]}`, the SHA-256 digests (base64url) of the claims of the calls it
 * covers, at most MAX_BATCH. A token holds when its JWS verifies and lists its own claims'
 * digest, so a call's claims are as bound in a batch as alone. Both transports sign through
 * `createTurnSigner`: the calls an app makes in one turn of its event loop share one signature,
 * and a verifier checks each distinct JWS once (it remembers the last ones it verified), so the
 * cost of signing and verifying is paid per batch, not per call. The claims:
 *
 * - `iss`  the calling app (`gateway`, `projects`, …); a key speaks only for the app it is registered to
 * - `aud`  the procedure called, `<service>.<procedure>`: the assertion is worthless on any other subject
 * - `rid`  the request id the call carries
 * - `dl`   the call's deadline (ms since the epoch): it expires with the call
 * - `sub`, `cid`  the end user and the credential they authenticated with — only accepted from
 *                 apps that authenticate credentials themselves (the gateway)
 * - `scp`  the limits of the credential (a scoped API key): `p` its projects, `r: 1` reads only —
 *          signed with `sub` and `cid` by the same app, so no hop can widen or drop them
 * - `usr`  when a service calls on the user's behalf: the assertion its own call arrived with,
 *          nested, so a service can only speak for users who really called it, within that request
 */
/**
 * A credential's scope as the claims carry it (see `Caller.scope`): `p` the project ids packed,
 * their 16 bytes each one after the other, base64url (22 characters an id rather than 38).
 */
export interface ScopeClaim {
  p?: string;
  r?: 1;
}

/** The most projects a scope names (the contract's `project_ids` allows 100). */
const MAX_SCOPE_PROJECTS = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function packIds(ids: readonly string[]): string {
  if (ids.length === 0 || ids.length > MAX_SCOPE_PROJECTS || !ids.every((id) => UUID.test(id))) {
    throw new Error(`a scope names 1–${MAX_SCOPE_PROJECTS} project UUIDs`);
  }
  return Buffer.from(ids.map((id) => id.replaceAll('-', '')).join(''), 'hex').toString('base64url');
}

function unpackIds(packed: string): string[] | undefined {
  const bytes = Buffer.from(packed, 'base64url');
  // One text per list (no variant in unused bits), whole ids, within the bound.
  if (bytes.toString('base64url') !== packed || bytes.length === 0 || bytes.length % 16 !== 0) return undefined;
  if (bytes.length / 16 > MAX_SCOPE_PROJECTS) return undefined;
  const hex = bytes.toString('hex');
  return Array.from({ length: bytes.length / 16 }, (_, i) => {
    const id = hex.slice(i * 32, i * 32 + 32);
    return `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
  });
}

function scopeClaimOf(scope: CallerScope | undefined): ScopeClaim | undefined {
  if (!scope) return undefined;
  const claim: ScopeClaim = {};
  if (scope.projects) claim.p = packIds(scope.projects);
  if (scope.readOnly) claim.r = 1;
  return claim;
}

/** The scope a verified claim names; a malformed one refuses the whole assertion (never read as "no limits"). */
function scopeOf(claim: unknown): CallerScope | undefined {
  if (claim === undefined) return undefined;
  if (claim === null || typeof claim !== 'object' || Array.isArray(claim)) throw new AssertionError('malformed scope');
  const { p, r, ...rest } = claim as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw new AssertionError('malformed scope');
  const scope: CallerScope = {};
  if (p !== undefined) {
    const projects = typeof p === 'string' ? unpackIds(p) : undefined;
    if (!projects) throw new AssertionError('malformed scope');
    scope.projects = projects;
  }
  if (r !== undefined) {
    if (r !== 1) throw new AssertionError('malformed scope');
    scope.readOnly = true;
  }
  return scope;
}

const callerOfClaims = (claims: AssertionClaims): Caller => {
  const scope = scopeOf(claims.scp);
  return scope ? { userId: claims.sub!, credentialId: claims.cid!, scope } : { userId: claims.sub!, credentialId: claims.cid! };
};

export interface AssertionClaims {
  iss: string;
  aud: string;
  rid: string;
  dl: number;
  sub?: string;
  cid?: string;
  scp?: ScopeClaim;
  usr?: string;
  /** A session assertion (see `CallSigner.signSession`): not bound to one call. */
  ses?: 1;
  /**
   * 16 random bytes (base64url) of this assertion alone. Calls of one batch often share
   * everything else (app, request id, deadline, user): without it, whoever holds one member's
   * token could write a sibling's claims for another procedure and find its digest in the batch.
   */
  n: string;
}

/** An app's private key and the id verifiers know its public half by. */
export interface SigningKey {
  app: string;
  kid: string;
  privateKey: KeyObject;
}

/** A public key a verifier accepts, and the app it belongs to. */
export interface TrustedKey {
  app: string;
  kid: string;
  publicKey: KeyObject;
}

export class AssertionError extends Error {
  override name = 'AssertionError';
}

/** What a verified assertion says about a call. */
export interface VerifiedCall {
  app: string;
  caller?: Caller;
}

/** One call going out with its deadline, to be signed. */
export interface OutgoingCall {
  call: ProcedureCall;
  deadline: number;
}

export interface CallSigner {
  app: string;
  /** The assertion for one call going out with `deadline` (a batch of one). */
  sign(call: ProcedureCall, deadline: number): string;
  /** The assertions for calls going out together, in order: one signature per MAX_BATCH of them. */
  signBatch(calls: readonly OutgoingCall[]): string[];
  /**
   * A session assertion for a client without a key of its own (`@atrium/client`): names the
   * user, good for any public operation until `expiresAt`, then refreshed with the credential.
   */
  signSession(caller: Caller, expiresAt: number): string;
}

export interface CallVerifier {
  /** Checks an assertion against the call it arrived with; throws `AssertionError` when it does not hold. */
  verify(token: string, call: { service: string; path: string; requestId: string; deadline: number | undefined }): VerifiedCall;
}

/** Service → service → service: deep enough for any real chain, bounded so a token cannot nest forever. */
const MAX_CHAIN = 4;

/**
 * The most calls one signature covers. Every token of a batch lists all its digests (44
 * characters each), so this bounds a token's size (~1 KB).
 */
export const MAX_BATCH = 16;

/** How many verified batch signatures a verifier remembers (each a few hundred bytes). */
const REMEMBERED_BATCHES = 512;

/**
 * The longest assertion accepted: a chain of MAX_CHAIN nested assertions of full batches is
 * ~10 KB. A credential scoped to 100 projects adds ~3 KB to the innermost claims (`scp`, the
 * ids packed), grown by a third at each level it is nested: three nested hops of full batches
 * still fit (the deepest chain here is two). Past it, or off the shape below, a token is refused before any decoding: base64url
 * decoding skips characters outside its alphabet, so junk appended to a genuine signature would
 * otherwise still verify — and, as a new text, take a place in the verifier's memory.
 */
const MAX_TOKEN_LENGTH = 16 * 1024;
/** claims.header.payload.signature, each base64url; an Ed25519 signature is 64 bytes, 86 characters. */
const TOKEN_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+\.[\w-]{86}$/;
const NONCE_BYTES = 16;

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const digestOf = (claimsPart: string) => createHash('sha256').update(claimsPart).digest('base64url');

export function createCallSigner(key: SigningKey): CallSigner {
  const header = b64url(JSON.stringify({ alg: 'EdDSA', kid: key.kid }));
  /** Signs the claims of calls leaving together (at most MAX_BATCH): one signature, one token each. */
  const signed = (batch: readonly Omit<AssertionClaims, 'n'>[]): string[] => {
    const nonces = randomBytes(NONCE_BYTES * batch.length);
    const claimsParts = batch.map((claims, i) =>
      b64url(JSON.stringify({ ...claims, n: nonces.subarray(i * NONCE_BYTES, (i + 1) * NONCE_BYTES).toString('base64url') })),
    );
    const signingInput = `${header}.${b64url(JSON.stringify({ h: claimsParts.map(digestOf) }))}`;
    const jws = `${signingInput}.${sign(null, Buffer.from(signingInput), key.privateKey).toString('base64url')}`;
    return claimsParts.map((claimsPart) => `${claimsPart}.${jws}`);
  };
  const claimsOf = ({ call, deadline }: OutgoingCall): Omit<AssertionClaims, 'n'> => {
    const claims: Omit<AssertionClaims, 'n'> = {
      iss: key.app,
      aud: `${call.service}.${call.path}`,
      rid: call.meta.requestId,
      dl: deadline,
    };
    if (call.meta.onBehalfOf) claims.usr = call.meta.onBehalfOf;
    else if (call.meta.caller) {
      claims.sub = call.meta.caller.userId;
      claims.cid = call.meta.caller.credentialId;
      const scope = scopeClaimOf(call.meta.caller.scope);
      if (scope) claims.scp = scope;
    }
    return claims;
  };
  const signBatch = (calls: readonly OutgoingCall[]): string[] => {
    const tokens: string[] = [];
    for (let start = 0; start < calls.length; start += MAX_BATCH)
      tokens.push(...signed(calls.slice(start, start + MAX_BATCH).map(claimsOf)));
    return tokens;
  };
  return {
    app: key.app,
    sign: (call, deadline) => signBatch([{ call, deadline }])[0]!,
    signBatch,
    signSession(caller, expiresAt) {
      const scope = scopeClaimOf(caller.scope);
      return signed([
        {
          iss: key.app,
          aud: '*',
          rid: '*',
          dl: expiresAt,
          sub: caller.userId,
          cid: caller.credentialId,
          ...(scope && { scp: scope }),
          ses: 1,
        },
      ])[0]!;
    },
  };
}

/**
 * Signs calls per turn of the event loop: the calls handed over in one turn are signed together
 * at its end (setImmediate, not a timer), one signature per MAX_BATCH of them, and each call
 * gets its own token. This is the transports' only batching: a call waits for the rest of the
 * current turn, then is sent at once.
 */
export function createTurnSigner(signer: CallSigner): (call: OutgoingCall) => Promise<string> {
  let waiting: { call: OutgoingCall; resolve: (token: string) => void; reject: (error: unknown) => void }[] = [];
  const signWaiting = () => {
    const batch = waiting;
    waiting = [];
    try {
      const tokens = signer.signBatch(batch.map((entry) => entry.call));
      for (const [i, entry] of batch.entries()) entry.resolve(tokens[i]!);
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  };
  return (call) =>
    new Promise<string>((resolve, reject) => {
      if (waiting.length === 0) setImmediate(signWaiting);
      waiting.push({ call, resolve, reject });
    });
}

export interface VerifierOptions {
  /** Apps whose own word about the end user is accepted (`sub`): they authenticated the credential. */
  userAsserters: readonly string[];
  /** Apps whose session assertions are accepted, and the app name such a call is taken to come from. */
  sessions?: { issuers: readonly string[]; app: string };
}

/**
 * Verifies assertions against a list of public keys (several per app while a key is rotated).
 * Refuses unknown keys, bad signatures, a key used for another app, another procedure, request
 * id or deadline, a passed deadline, and a user claimed by an app that may not claim one.
 */
export function createCallVerifier(keys: readonly TrustedKey[], options: VerifierOptions): CallVerifier {
  const byKid = new Map(keys.map((key) => [key.kid, key]));

  /**
   * Batches whose signature was verified, by signature, holding their exact JWS text: a batch is
   * taken as verified only when a token carries that very text (the same text can only say the
   * same thing). Keyed by the short signature rather than the whole text, which is cheaper to hash.
   */
  const verifiedBatches = new Map<string, { jws: string; key: TrustedKey; digests: ReadonlySet<string> }>();

  function verifiedBatch(jws: string): { key: TrustedKey; digests: ReadonlySet<string> } {
    const known = verifiedBatches.get(jws.slice(jws.lastIndexOf('.') + 1));
    if (known?.jws === jws) return known;
    // Three parts: `open` checked the whole token's shape first.
    const [header, payload, signature] = jws.split('.') as [string, string, string];
    let kid: unknown;
    try {
      const parsed = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: unknown; kid?: unknown };
      if (parsed.alg !== 'EdDSA') throw new AssertionError('unsupported algorithm');
      kid = parsed.kid;
    } catch {
      throw new AssertionError('malformed assertion header');
    }
    const key = typeof kid === 'string' ? byKid.get(kid) : undefined;
    if (!key) throw new AssertionError('unknown signing key');
    const signatureBytes = Buffer.from(signature, 'base64url');
    // One text per signature: a variant in the unused low bits of the last character is refused.
    if (signatureBytes.toString('base64url') !== signature) throw new AssertionError('malformed assertion signature');
    if (!verify(null, Buffer.from(`${header}.${payload}`), key.publicKey, signatureBytes)) {
      throw new AssertionError('bad signature');
    }
    let digests: unknown;
    try {
      digests = (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { h?: unknown }).h;
    } catch {
      throw new AssertionError('malformed assertion payload');
    }
    if (!Array.isArray(digests) || digests.length > MAX_BATCH || !digests.every((digest) => typeof digest === 'string')) {
      throw new AssertionError('malformed assertion payload');
    }
    const batch = { jws, key, digests: new Set(digests as string[]) };
    // Oldest out first: a batch is only ever useful for the few seconds its calls live.
    if (verifiedBatches.size >= REMEMBERED_BATCHES) verifiedBatches.delete(verifiedBatches.keys().next().value!);
    verifiedBatches.set(signature, batch);
    return batch;
  }

  function open(token: string): AssertionClaims {
    if (token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token)) throw new AssertionError('malformed assertion');
    const dot = token.indexOf('.');
    const claimsPart = token.slice(0, dot);
    const { key, digests } = verifiedBatch(token.slice(dot + 1));
    if (!digests.has(digestOf(claimsPart))) throw new AssertionError('claims not covered by the signature');
    let claims: AssertionClaims;
    try {
      claims = JSON.parse(Buffer.from(claimsPart, 'base64url').toString()) as AssertionClaims;
    } catch {
      throw new AssertionError('malformed assertion claims');
    }
    if (claims === null || typeof claims !== 'object') throw new AssertionError('malformed assertion claims');
    if (claims.iss !== key.app) throw new AssertionError(`key ${key.kid} does not belong to ${String(claims.iss)}`);
    if (typeof claims.aud !== 'string' || typeof claims.rid !== 'string' || typeof claims.dl !== 'number' || typeof claims.n !== 'string') {
      throw new AssertionError('incomplete assertion');
    }
    return claims;
  }

  function userOf(claims: AssertionClaims): Caller | undefined {
    if (typeof claims.sub !== 'string' || typeof claims.cid !== 'string') return undefined;
    if (!options.userAsserters.includes(claims.iss)) throw new AssertionError(`${claims.iss} may not assert a user`);
    return callerOfClaims(claims);
  }

  /**
   * The user a call acts for: named by the assertion itself when its app may vouch for users,
   * or by the assertion it nests — which must be one the calling app received for this very
   * request, with a deadline no later (so a service speaks only for users who called it, and
   * each hop of a chain is checked the same way).
   */
  /** The user of a client's session (`ses`): any public operation, until it expires. */
  function sessionUserOf(claims: AssertionClaims): Caller {
    if (!options.sessions?.issuers.includes(claims.iss)) throw new AssertionError(`${claims.iss} may not issue sessions`);
    if (claims.dl <= Date.now()) throw new AssertionError('session expired');
    if (typeof claims.sub !== 'string' || typeof claims.cid !== 'string') throw new AssertionError('session names no user');
    return callerOfClaims(claims);
  }

  function callerOf(claims: AssertionClaims, depth: number): Caller | undefined {
    if (typeof claims.usr !== 'string') return userOf(claims);
    if (depth >= MAX_CHAIN) throw new AssertionError('call chain too deep');
    const inner = open(claims.usr);
    // A client's session, forwarded by the service it called: bound to no one request, so only its own checks apply.
    if (inner.ses === 1) return sessionUserOf(inner);
    if (inner.aud.split('.', 1)[0] !== claims.iss) throw new AssertionError('nested assertion was made for another service');
    if (inner.rid !== claims.rid) throw new AssertionError('nested assertion belongs to another request');
    if (claims.dl > inner.dl) throw new AssertionError('deadline extended past the call it serves');
    const caller = callerOf(inner, depth + 1);
    if (!caller) throw new AssertionError('nested assertion names no user');
    return caller;
  }

  return {
    verify(token, call) {
      const claims = open(token);
      // A client's session: the user, for any public operation (the service checks that).
      if (claims.ses === 1) {
        const caller = sessionUserOf(claims);
        return { app: options.sessions!.app, caller };
      }
      if (claims.aud !== `${call.service}.${call.path}`) throw new AssertionError('assertion made for another procedure');
      if (claims.rid !== call.requestId) throw new AssertionError('assertion made for another request');
      if (claims.dl !== call.deadline) throw new AssertionError('assertion made for another deadline');
      if (claims.dl <= Date.now()) throw new AssertionError('assertion expired');
      return { app: claims.iss, caller: callerOf(claims, 0) };
    },
  };
}

/** A fresh Ed25519 key pair, for the embedded mode, tests and `pnpm keygen`. */
export function generateSigningKey(app: string, kid = `${app}-${Date.now().toString(36)}`): { signing: SigningKey; trusted: TrustedKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { signing: { app, kid, privateKey }, trusted: { app, kid, publicKey } };
}

/** A private key as configured: base64 of its PKCS#8 DER, or PEM. */
export function parsePrivateKey(text: string): KeyObject {
  const key = text.includes('-----BEGIN')
    ? createPrivateKey(text)
    : createPrivateKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the signing key must be an Ed25519 key');
  return key;
}

export function exportPrivateKey(key: KeyObject): string {
  return key.export({ format: 'der', type: 'pkcs8' }).toString('base64');
}

/**
 * Trusted keys as configured: comma-separated `<app>:<kid>:<base64 SPKI DER>` entries, so a
 * verifier can hold an old and a new key of one app while it is rotated.
 */
export function parseTrustedKeys(text: string): TrustedKey[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [app, kid, der] = entry.split(':');
      if (!app || !kid || !der) throw new Error(`a trusted key must read <app>:<kid>:<base64 public key>, got "${entry.slice(0, 40)}"`);
      const publicKey = createPublicKey({ key: Buffer.from(der, 'base64'), format: 'der', type: 'spki' });
      if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error(`trusted key ${kid} is not an Ed25519 key`);
      return { app, kid, publicKey };
    });
}

export function formatTrustedKey(key: TrustedKey): string {
  return `${key.app}:${key.kid}:${key.publicKey.export({ format: 'der', type: 'spki' }).toString('base64')}`;
}
