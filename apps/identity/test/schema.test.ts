import { itMigratesToItsEntities } from '@atrium/test-kit';
import { initIdentityOrm } from '../src/db.js';

itMigratesToItsEntities((url) => initIdentityOrm(url));
