import { createHash, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AssertionError,
  MAX_BATCH,
  createCallSigner,
  createTurnSigner,
  createCallVerifier,
  exportPrivateKey,
  formatTrustedKey,
  generateSigningKey,
  parsePrivateKey,
  parseTrustedKeys,
} from '../src/index.js';
import type { CallMeta, ProcedureCall } from '../src/index.js';

const gatewayKey = generateSigningKey('gateway', 'gw-1');
const projectsKey = generateSigningKey('projects', 'pr-1');
const envKey = generateSigningKey('environments', 'env-1');
const strangerKey = generateSigningKey('gateway', 'gw-1'); // same app and id, another key: a forgery
const verifier = createCallVerifier([gatewayKey.trusted, projectsKey.trusted, envKey.trusted], { userAsserters: ['gateway'] });
const gateway = createCallSigner(gatewayKey.signing);
const projects = createCallSigner(projectsKey.signing);
const environments = createCallSigner(envKey.signing);

const user = { userId: 'u-1', credentialId: 'c-1' };
const call = (service: string, path: string, meta: Partial<CallMeta> = {}): ProcedureCall => ({
  service,
  path,
  kind: 'query',
  input: undefined,
  meta: { requestId: 'r-1', ...meta },
});
const soon = () => Date.now() + 5000;
const check = (token: string, service: string, path: string, deadline: number, requestId = 'r-1') =>
  verifier.verify(token, { service, path, requestId, deadline });
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AssertionError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('call assertions', () => {
  it('name the calling app, and the user when the gateway vouches for one', () => {
    const dl = soon();
    expect(check(gateway.sign(call('projects', 'projects.get', { caller: user }), dl), 'projects', 'projects.get', dl)).toEqual({
      app: 'gateway',
      caller: user,
    });
    expect(check(projects.sign(call('identity', 'health.check'), dl), 'identity', 'health.check', dl)).toEqual({
      app: 'projects',
      caller: undefined,
    });
  });

  it('hold only for the procedure, request and deadline they were made for, until that deadline', () => {
    const dl = soon();
    const token = gateway.sign(call('projects', 'projects.get', { caller: user }), dl);
    expect(refusal(() => check(token, 'projects', 'projects.delete', dl))).toMatch(/another procedure/);
    expect(refusal(() => check(token, 'environments', 'projects.get', dl))).toMatch(/another procedure/);
    expect(refusal(() => check(token, 'projects', 'projects.get', dl, 'r-2'))).toMatch(/another request/);
    expect(refusal(() => check(token, 'projects', 'projects.get', dl + 1))).toMatch(/another deadline/);
    const past = Date.now() - 1;
    expect(refusal(() => check(gateway.sign(call('projects', 'projects.get'), past), 'projects', 'projects.get', past))).toMatch(/expired/);
  });

  it('refuse forgeries: an unknown key, a tampered payload, a key used for another app, a service vouching for a user', () => {
    const dl = soon();
    const forged = createCallSigner(strangerKey.signing).sign(call('projects', 'projects.get', { caller: user }), dl);
    expect(refusal(() => check(forged, 'projects', 'projects.get', dl))).toMatch(/bad signature/);

    const genuine = gateway.sign(call('projects', 'projects.get', { caller: user }), dl);
    const [claimsPart, header, payload, signature] = genuine.split('.');
    const claims = JSON.parse(Buffer.from(claimsPart!, 'base64url').toString());
    // Other claims under a genuine signature (checked once already, so remembered as verified)…
    expect(check(genuine, 'projects', 'projects.get', dl).caller).toEqual(user);
    const otherClaims = `${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.${header}.${payload}.${signature}`;
    expect(refusal(() => check(otherClaims, 'projects', 'projects.get', dl))).toMatch(/not covered/);
    // …or another batch under its signature.
    const otherBatch = `${claimsPart}.${header}.${Buffer.from(JSON.stringify({ h: ['x'] })).toString('base64url')}.${signature}`;
    expect(refusal(() => check(otherBatch, 'projects', 'projects.get', dl))).toMatch(/bad signature/);

    const unknownKid = createCallSigner({ ...gatewayKey.signing, kid: 'gw-unknown' }).sign(call('projects', 'projects.get'), dl);
    expect(refusal(() => check(unknownKid, 'projects', 'projects.get', dl))).toMatch(/unknown signing key/);

    const impersonating = createCallSigner({ ...projectsKey.signing, app: 'gateway' }).sign(
      call('identity', 'credentials.authenticate'),
      dl,
    );
    expect(refusal(() => check(impersonating, 'identity', 'credentials.authenticate', dl))).toMatch(/does not belong/);

    const vouching = projects.sign(call('environments', 'x.y', { caller: user }), dl);
    expect(refusal(() => check(vouching, 'environments', 'x.y', dl))).toMatch(/may not assert a user/);

    for (const junk of [
      '',
      'a.b',
      'a.b.c',
      `${header}.${payload}.${signature}`,
      `${claimsPart}.eyJhbGciOiJub25lIn0.e30.`,
      `.${header}.${payload}.${signature}`,
    ]) {
      refusal(() => check(junk, 'projects', 'projects.get', dl));
    }
  });

  it('let a service act for the user who called it, within that request and its deadline', () => {
    const dl = soon();
    const fromGateway = gateway.sign(call('environments', 'environments.create', { caller: user }), dl);
    const forwarded = environments.sign(call('projects', 'memberships.role', { onBehalfOf: fromGateway }), dl - 100);
    expect(check(forwarded, 'projects', 'memberships.role', dl - 100)).toEqual({ app: 'environments', caller: user });

    // …and one more hop, each checked the same way.
    const again = projects.sign(call('identity', 'x.y', { onBehalfOf: forwarded }), dl - 200);
    expect(check(again, 'identity', 'x.y', dl - 200)).toEqual({ app: 'projects', caller: user });

    // Not with a user assertion it never received (it was made for another service)…
    const stolen = projects.sign(call('identity', 'x.y', { onBehalfOf: fromGateway }), dl - 100);
    expect(refusal(() => check(stolen, 'identity', 'x.y', dl - 100))).toMatch(/another service/);
    // …nor in another request, nor past the deadline of the call it serves.
    const otherRequest = environments.sign(call('projects', 'memberships.role', { onBehalfOf: fromGateway, requestId: 'r-9' }), dl);
    expect(refusal(() => check(otherRequest, 'projects', 'memberships.role', dl, 'r-9'))).toMatch(/another request/);
    const extended = environments.sign(call('projects', 'memberships.role', { onBehalfOf: fromGateway }), dl + 60_000);
    expect(refusal(() => check(extended, 'projects', 'memberships.role', dl + 60_000))).toMatch(/deadline extended/);
  });

  it('sign calls leaving together with one signature, each token holding for its own call only', () => {
    const dl = soon();
    const calls = Array.from({ length: MAX_BATCH + 3 }, (_, i) => ({
      call: call('projects', i % 2 ? 'projects.get' : 'projects.list', {
        caller: { userId: `u-${i}`, credentialId: `c-${i}` },
        requestId: `r-${i}`,
      }),
      deadline: dl + i,
    }));
    const tokens = gateway.signBatch(calls);
    const signatureOf = (token: string) => token.split('.').slice(1).join('.');
    // One signature per MAX_BATCH calls.
    expect(new Set(tokens.map(signatureOf)).size).toBe(2);
    tokens.forEach((token, i) => {
      const { call: c, deadline } = calls[i]!;
      expect(check(token, 'projects', c.path, deadline, c.meta.requestId)).toEqual({ app: 'gateway', caller: c.meta.caller });
    });
    // A batch member's claims do not speak for its neighbour's call.
    expect(refusal(() => check(tokens[0]!, 'projects', calls[2]!.call.path, calls[2]!.deadline, 'r-2'))).toMatch(/another request/);
  });

  it('refuses the claims of a sibling guessed from a member token, junk after a signature, and oversized tokens', () => {
    const dl = soon();
    const [mine] = gateway.signBatch([
      { call: call('projects', 'projects.get', { caller: user }), deadline: dl },
      { call: call('identity', 'users.lookup', { caller: user }), deadline: dl },
    ]);
    const [claimsPart, ...jws] = mine!.split('.');
    // Everything of the sibling's claims is guessable but its nonce: the digest is not in the batch.
    const claims = JSON.parse(Buffer.from(claimsPart!, 'base64url').toString());
    const guessed = `${Buffer.from(JSON.stringify({ ...claims, aud: 'identity.users.lookup' })).toString('base64url')}.${jws.join('.')}`;
    expect(refusal(() => check(guessed, 'identity', 'users.lookup', dl))).toMatch(/not covered/);

    // base64url decoding skips characters outside its alphabet: none may ride on a genuine signature.
    expect(refusal(() => check(`${mine}${'!'.repeat(1000)}`, 'projects', 'projects.get', dl))).toMatch(/malformed/);
    expect(refusal(() => check(`${mine}AAAA`, 'projects', 'projects.get', dl))).toMatch(/malformed/);
    // The last character of a signature has unused bits: one text per signature.
    const last = mine!.at(-1)!;
    const variant = `${mine!.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`;
    expect(refusal(() => check(variant, 'projects', 'projects.get', dl))).toMatch(/malformed assertion signature|bad signature/);
    expect(refusal(() => check(`${'a'.repeat(20_000)}.${jws.join('.')}`, 'projects', 'projects.get', dl))).toMatch(/malformed/);
    expect(check(mine!, 'projects', 'projects.get', dl).caller).toEqual(user);
  });

  it('accept several keys of one app while a key is rotated', () => {
    const next = generateSigningKey('gateway', 'gw-2');
    const rotating = createCallVerifier([gatewayKey.trusted, next.trusted], { userAsserters: ['gateway'] });
    const dl = soon();
    for (const signer of [gateway, createCallSigner(next.signing)]) {
      const token = signer.sign(call('projects', 'projects.get', { caller: user }), dl);
      expect(rotating.verify(token, { service: 'projects', path: 'projects.get', requestId: 'r-1', deadline: dl }).caller).toEqual(user);
    }
  });

  it('read keys as configured and write them back the same', () => {
    const [parsed] = parseTrustedKeys(formatTrustedKey(gatewayKey.trusted));
    expect(parsed).toMatchObject({ app: 'gateway', kid: 'gw-1' });
    expect(parsed!.publicKey.equals(gatewayKey.trusted.publicKey)).toBe(true);
    expect(parsePrivateKey(exportPrivateKey(gatewayKey.signing.privateKey)).equals(gatewayKey.signing.privateKey)).toBe(true);
    expect(() => parseTrustedKeys('gateway:gw-1')).toThrow(/<app>:<kid>/);
  });
});

describe('session assertions (for clients without a key)', () => {
  const identityKey = generateSigningKey('identity', 'id-1');
  const withSessions = createCallVerifier([gatewayKey.trusted, identityKey.trusted], {
    userAsserters: ['gateway'],
    sessions: { issuers: ['identity'], app: 'client' },
  });
  const target = { service: 'projects', path: 'projects.get', requestId: 'any', deadline: Date.now() + 1000 };

  it('name the user for the client app, on any call, until they expire', () => {
    const session = createCallSigner(identityKey.signing).signSession(user, Date.now() + 5000);
    expect(withSessions.verify(session, target)).toEqual({ app: 'client', caller: user });
    const expired = createCallSigner(identityKey.signing).signSession(user, Date.now() - 1);
    expect(refusal(() => withSessions.verify(expired, target))).toMatch(/expired/);
  });

  it('are accepted only from the apps that issue them', () => {
    const fromGateway = gateway.signSession(user, Date.now() + 5000);
    expect(refusal(() => withSessions.verify(fromGateway, target))).toMatch(/may not issue sessions/);
    const identitySession = createCallSigner(identityKey.signing).signSession(user, Date.now() + 5000);
    expect(
      refusal(() => createCallVerifier([identityKey.trusted], { userAsserters: ['gateway'] }).verify(identitySession, target)),
    ).toMatch(/may not issue sessions/);
  });
});

describe('signing per turn', () => {
  it('covers the calls made in one turn with one signature, and the next turn with another', async () => {
    const signTurn = createTurnSigner(gateway);
    const dl = soon();
    const first = await Promise.all(
      [1, 2, 3].map((i) => signTurn({ call: call('projects', 'projects.get', { requestId: `r-${i}` }), deadline: dl })),
    );
    const second = await signTurn({ call: call('projects', 'projects.get', { requestId: 'r-4' }), deadline: dl });
    const signatureOf = (token: string) => token.split('.').slice(1).join('.');
    expect(new Set(first.map(signatureOf)).size).toBe(1);
    expect(signatureOf(second)).not.toBe(signatureOf(first[0]!));
    for (const [i, token] of first.entries()) expect(check(token, 'projects', 'projects.get', dl, `r-${i + 1}`).app).toBe('gateway');
  });
});

describe('a scoped caller (an API key limited to projects, or to reads)', () => {
  const ids = Array.from({ length: 100 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  const scoped = { ...user, scope: { projects: ['6f1c0a53-1d7e-4c39-9d1b-8a3b1f3c2d4e'], readOnly: true as const } };

  it('carries its scope in the signed claims, through every hop and in a session', () => {
    const dl = soon();
    const fromGateway = gateway.sign(call('environments', 'environments.list', { caller: scoped }), dl);
    expect(check(fromGateway, 'environments', 'environments.list', dl)).toEqual({ app: 'gateway', caller: scoped });
    // A service forwarding the user's assertion cannot drop or widen the scope: it is in the nested, gateway-signed claims.
    const forwarded = environments.sign(call('projects', 'memberships.role', { onBehalfOf: fromGateway, caller: user }), dl - 100);
    expect(check(forwarded, 'projects', 'memberships.role', dl - 100)).toEqual({ app: 'environments', caller: scoped });
    const issuer = generateSigningKey('identity', 'id-scope');
    const sessions = createCallVerifier([issuer.trusted], { userAsserters: [], sessions: { issuers: ['identity'], app: 'client' } });
    const session = createCallSigner(issuer.signing).signSession(scoped, Date.now() + 5000);
    expect(sessions.verify(session, { service: 'projects', path: 'projects.get', requestId: 'x', deadline: dl })).toEqual({
      app: 'client',
      caller: scoped,
    });
  });

  it('keeps a scope of 100 projects within the token bound across three nested hops of full batches', () => {
    const dl = soon();
    const wide = { ...user, scope: { projects: ids } };
    const signers = [gateway, environments, projects, environments];
    const services = ['environments', 'projects', 'environments', 'projects'];
    let token: string | undefined;
    for (const [hop, signer] of signers.entries()) {
      const calls = Array.from({ length: MAX_BATCH }, () => ({
        call: call(services[hop]!, 'a.b', token ? { onBehalfOf: token } : { caller: wide }),
        deadline: dl - hop,
      }));
      token = signer.signBatch(calls)[0]!;
    }
    expect(check(token!, 'projects', 'a.b', dl - 3).caller).toEqual(wide);
  });

  it('refuses a malformed scope rather than reading it as no limits', () => {
    const dl = soon();
    const token = gateway.sign(call('projects', 'projects.get', { caller: scoped }), dl);
    const [claimsPart, ...jws] = token.split('.');
    const claims = JSON.parse(Buffer.from(claimsPart!, 'base64url').toString());
    // Rewritten claims are not covered by the signature…
    const widened = `${Buffer.from(JSON.stringify({ ...claims, scp: undefined })).toString('base64url')}.${jws.join('.')}`;
    expect(refusal(() => check(widened, 'projects', 'projects.get', dl))).toMatch(/not covered/);
    // …and a signer's malformed scope is refused outright.
    for (const scp of [{ p: ['x'] }, { p: 'AAAA' }, { r: true }, { x: 1 }, null]) {
      const forged = createCallSigner(gatewayKey.signing);
      const bad = forged.sign(call('projects', 'projects.get', { caller: user }), dl);
      const [part, ...rest] = bad.split('.');
      const original = JSON.parse(Buffer.from(part!, 'base64url').toString());
      // Re-signed as the gateway would, with the bad scope in the claims it signs.
      const signedBad = signRaw({ ...original, scp }, rest);
      expect(refusal(() => check(signedBad, 'projects', 'projects.get', dl))).toMatch(/malformed scope/);
    }
    expect(() => gateway.sign(call('projects', 'projects.get', { caller: { ...user, scope: { projects: ['nope'] } } }), dl)).toThrow(
      /project UUIDs/,
    );
  });
});

/** Signs arbitrary claims with the gateway's key, in the format of assertion.ts (a batch of one). */
function signRaw(claims: Record<string, unknown>, _jws: string[]): string {
  const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');
  const claimsPart = b64(JSON.stringify(claims));
  const header = b64(JSON.stringify({ alg: 'EdDSA', kid: gatewayKey.signing.kid }));
  const digest = createHash('sha256').update(claimsPart).digest('base64url');
  const input = `${header}.${b64(JSON.stringify({ h: [digest] }))}`;
  return `${claimsPart}.${input}.${sign(null, Buffer.from(input), gatewayKey.signing.privateKey).toString('base64url')}`;
}
