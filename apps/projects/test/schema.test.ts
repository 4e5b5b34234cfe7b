import { itMigratesToItsEntities } from '@atrium/local-infra';
import { initProjectsOrm } from '../src/db.js';

itMigratesToItsEntities((url) => initProjectsOrm(url));
