import { itMigratesToItsEntities } from '@atrium/test-kit';
import { initProjectsOrm } from '../src/db.js';

itMigratesToItsEntities((url) => initProjectsOrm(url));
