import { itMigratesToItsEntities } from '@atrium/local-infra';
import { initIdentityOrm } from '../src/db.js';

itMigratesToItsEntities((url) => initIdentityOrm(url));
