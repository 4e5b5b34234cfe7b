/**
 * CPU cost of call assertions: `pnpm --filter @atrium/nats-trpc bench`. Signs and verifies
 * the assertion of a user-scoped call (what the gateway and a service each add per request),
 * and one forwarded by a service (two signatures to verify).
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

function measure(label: string, run: () => void, iterations = 20_000): void {
  for (let i = 0; i < 2000; i += 1) run();
  const started = process.cpuUsage();
  for (let i = 0; i < iterations; i += 1) run();
  const used = process.cpuUsage(started);
  console.log(`${label.padEnd(44)} ${((used.user + used.system) / iterations).toFixed(1)} µs CPU`);
}

const deadline = Date.now() + 60_000;
const token = gatewaySigner.sign(call, deadline);
const forwardedCall: ProcedureCall = { ...call, service: 'projects', path: 'memberships.role', meta: { requestId: call.meta.requestId, onBehalfOf: gatewaySigner.sign({ ...call, service: 'environments' }, deadline) } };
const forwarded = environmentsSigner.sign(forwardedCall, deadline);

measure('sign (gateway, user-scoped call)', () => gatewaySigner.sign(call, deadline));
measure('verify (service)', () => verifier.verify(token, { ...target, deadline }));
measure('sign + verify, one call', () => verifier.verify(gatewaySigner.sign(call, deadline), { ...target, deadline }));
measure('verify a forwarded call (two signatures)', () =>
  verifier.verify(forwarded, { service: 'projects', path: 'memberships.role', requestId: call.meta.requestId, deadline }),
);
console.log(`assertion size: ${token.length} bytes (user-scoped), ${forwarded.length} bytes (forwarded)`);
