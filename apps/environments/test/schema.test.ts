import { itMigratesToItsEntities } from '@atrium/local-infra';
import { initEnvironmentsOrm } from '../src/db.js';

itMigratesToItsEntities((url) => initEnvironmentsOrm(url));
