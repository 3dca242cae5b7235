/** The contract use case: what an app's code needs of its stages, checked without a key. */
export { appNeeds, checkApp, type AppNeeds, type CheckInput } from './check.js';
export { CHECK_FORMATS, renderCheck, type CheckFormat } from './render.js';
export type * from './types.js';
export { serviceContract, type ServiceContract, type ServiceContractInput } from './service-contract.js';
