/**
 * The deploy system's side of Atrium: before starting a workload it asks environments for every
 * variable of the workload's environment, secrets decrypted, and hands them to the workload —
 * here, printed as `.env` lines on stdout (`KEY='value'`, quoted as dotenv expects, see dotenv.ts).
 *
 * It is the `deployer` app: its own NATS user and its own signing key, both from
 * `pnpm keygen --out <dir>` (`<dir>/deployer.env`: NATS_USER, NATS_PASSWORD, ATRIUM_SIGNING_KEY,
 * ATRIUM_SIGNING_KEY_ID). Environments trusts that key; no other app may call the operation,
 * and each call is recorded in the project's audit trail (key names only).
 *
 *   set -a; . keys/deployer.env; set +a
 *   NATS_URL=nats://… pnpm --filter @atrium/example-deployer start <project id> <environment id> > app.env
 */
import { AtriumError, connectDeployer } from '@atrium/client';
import { toDotenv } from './dotenv.js';

const [projectId, environmentId] = process.argv.slice(2);
if (!projectId || !environmentId) {
  console.error('usage: main.ts <project id> <environment id>   (NATS_URL, NATS_PASSWORD, ATRIUM_SIGNING_KEY, ATRIUM_SIGNING_KEY_ID set)');
  process.exit(2);
}

const deployer = await connectDeployer({
  servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  user: process.env.NATS_USER,
  pass: process.env.NATS_PASSWORD,
  signingKey: process.env.ATRIUM_SIGNING_KEY ?? '',
  signingKeyId: process.env.ATRIUM_SIGNING_KEY_ID ?? '',
});
try {
  const environment = await deployer.variables.resolve({ project_id: projectId, environment_id: environmentId });
  process.stdout.write(`# ${environment.name} (${environment.environment_id})\n${toDotenv(environment.data)}`);
} catch (error) {
  if (!(error instanceof AtriumError)) throw error;
  console.error(`${error.code}: ${error.message}`);
  process.exitCode = 1;
} finally {
  await deployer.close();
}
