import { itMigratesToItsEntities } from '@atrium/test-kit';
import { initEnvironmentsOrm } from '../src/db.js';

itMigratesToItsEntities((url) => initEnvironmentsOrm(url));
