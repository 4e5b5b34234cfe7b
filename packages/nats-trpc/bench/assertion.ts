/**
 * CPU cost of call assertions: `pnpm --filter @atrium/nats-trpc bench`. Signs and verifies
 * the assertion of a user-scoped call (what the gateway and a service each add per request),
 * and one forwarded by a service (two signatures to verify); then the same per call when ten
 * calls leave in one turn and share one signature (what the transports do under load).
 */
import { createCallSigner, createCallVerifier, generateSigningKey } from '../src/assertion.js';
import type { ProcedureCall } from '../src/call.js';

const gateway = generateSigningKey('gateway');
const environments = generateSigningKey('environments');
const verifier = createCallVerifier([gateway.trusted, environments.trusted], { userAsserters: ['gateway'] });
const gatewaySigner = createCallSigner(gateway.signing);
const environmentsSigner = createCallSigner(environments.signing);
const call: ProcedureCall = {
  service: 'projects',
  path: 'projects.get',
  kind: 'query',
  input: undefined,
  meta: { requestId: '6f1c0a53-1d7e-4c39-9d1b-8a3b1f3c2d4e', caller: { userId: crypto.randomUUID(), credentialId: crypto.randomUUID() } },
};
const target = { service: 'projects', path: 'projects.get', requestId: call.meta.requestId };

function measure(label: string, run: () => void, iterations = 20_000, callsPerRun = 1): void {
  for (let i = 0; i < iterations / 10; i += 1) run();
  const started = process.cpuUsage();
  for (let i = 0; i < iterations; i += 1) run();
  const used = process.cpuUsage(started);
  console.log(`${label.padEnd(44)} ${((used.user + used.system) / iterations / callsPerRun).toFixed(1)} µs CPU`);
}

const deadline = Date.now() + 60_000;
const ITERATIONS = 20_000;
const BATCH = 10;
// Verifiers remember the batches they verified, and Ed25519 is deterministic: every token
// verified below is made for a request id of its own, so each is seen for the first time.
let made = 0;
const unique = (): ProcedureCall => {
  made += 1;
  return { ...call, meta: { ...call.meta, requestId: `r-${made}` } };
};
const batchOf = (size: number) => {
  const calls = Array.from({ length: size }, unique);
  const tokens = gatewaySigner.signBatch(calls.map((c) => ({ call: c, deadline })));
  return calls.map((c, i) => ({ requestId: c.meta.requestId, token: tokens[i]! }));
};
const enough = ITERATIONS * 1.1;
const alone = Array.from({ length: enough }, () => batchOf(1)[0]!);
const forwarded = Array.from({ length: enough }, () => {
  const c = unique();
  const onBehalfOf = gatewaySigner.sign({ ...c, service: 'environments' }, deadline);
  return {
    requestId: c.meta.requestId,
    token: environmentsSigner.sign({ ...c, path: 'memberships.role', meta: { requestId: c.meta.requestId, onBehalfOf } }, deadline),
  };
});
const batches = Array.from({ length: enough / BATCH }, () => batchOf(BATCH));

measure('sign (gateway, user-scoped call)', () => gatewaySigner.sign(call, deadline));
let next = 0;
measure('verify (service)', () => {
  const { token, requestId } = alone[next++]!;
  verifier.verify(token, { ...target, requestId, deadline });
});
next = 0;
measure('verify a forwarded call (two signatures)', () => {
  const { token, requestId } = forwarded[next++]!;
  verifier.verify(token, { service: 'projects', path: 'memberships.role', requestId, deadline });
});

// Ten calls leaving in one turn share one signature (what the transports do under load).
const tenCalls = Array.from({ length: BATCH }, () => ({ call, deadline }));
measure(`sign, per call of a batch of ${BATCH}`, () => gatewaySigner.signBatch(tenCalls), ITERATIONS / BATCH, BATCH);
next = 0;
measure(
  `verify, per call of a batch of ${BATCH}`,
  () => {
    for (const { token, requestId } of batches[next++]!) verifier.verify(token, { ...target, requestId, deadline });
  },
  ITERATIONS / BATCH,
  BATCH,
);
console.log(
  `assertion size: ${alone[0]!.token.length} bytes (alone), ${batches[0]![0]!.token.length} bytes (one of ${BATCH}), ${forwarded[0]!.token.length} bytes (forwarded)`,
);
