import { Environment } from './environment.entity.js';
import { Variable } from './variable.entity.js';

export { Environment, Variable };
export type { IEnvironment } from './environment.entity.js';
export type { IVariable } from './variable.entity.js';

export const entities = [Environment, Variable];
