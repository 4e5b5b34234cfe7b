import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { startOrmHarness } from '@atrium/local-infra';
import { initEnvironmentsOrm } from '../src/db.js';

let harness: Awaited<ReturnType<typeof startOrmHarness<MikroORM>>>;
beforeAll(async () => {
  harness = await startOrmHarness((url) => initEnvironmentsOrm(url));
});
afterAll(() => harness?.stop());

// Migrations are written by hand; this fails when they and the entities drift apart.
it('its migrations build exactly the schema its entities describe', async () => {
  expect(await harness.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false })).toBe('');
});
