/** The contract at package time in osls (test/support/contract-package-suite.ts). */
import { describeContractPackaging } from '../support/contract-package-suite.js';
import { FRAMEWORKS } from '../support/sls-service.js';

describeContractPackaging(FRAMEWORKS.find((f) => f.name === 'osls')!);
