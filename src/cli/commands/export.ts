import { StageSecretsError } from '../../core/errors.js';
import type { Command } from '../command.js';

// Replaced by the runner (issue 4).
export const command: Command = {
  name: 'export',
  summary: 'not available yet',
  help: 'not available yet',
  async run() {
    throw new StageSecretsError('USAGE', 'export is not available in this build');
  },
};
