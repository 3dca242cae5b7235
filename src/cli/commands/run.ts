import { StageSecretsError } from '../../core/errors.js';
import type { Command } from '../command.js';

// Replaced by the runner (issue 4).
export const command: Command = {
  name: 'run',
  summary: 'not available yet',
  help: 'not available yet',
  async run() {
    throw new StageSecretsError('USAGE', 'run is not available in this build');
  },
};
