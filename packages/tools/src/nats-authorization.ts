import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { productionAuthorization } from '@atrium/contract';

/**
 * `pnpm nats-authorization`: writes infra/k8s/nats-authorization.conf from the contract's bus
 * permissions (a test fails while the committed file differs).
 */
const target = fileURLToPath(new URL('../../../infra/k8s/nats-authorization.conf', import.meta.url));
writeFileSync(target, productionAuthorization());
console.log(`wrote ${target}`);
