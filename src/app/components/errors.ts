/** Human-readable text for errors from RunManager commands. */
import { RunCommandError } from '../runs/run-manager';

export function describeCommandError(error: unknown): string {
  if (error instanceof RunCommandError) return `${error.runError.message} (${error.runError.code})`;
  return error instanceof Error ? error.message : String(error);
}
