/**
 * The order in which a run worker handles commands: one at a time, as they arrive; the training
 * loop runs between them. Two exceptions keep the run responsive:
 * - a cancel skips the queue, since it must reach the command it cancels (init);
 * - a probe takes its turn, but the commands behind it do not wait for it to end: it works in
 *   slices between training steps (RunHandler.probe) and can last minutes, during which pause,
 *   step, evaluate and the rest must still answer.
 */
import type { CommandMessage } from '../protocol/messages';

export interface CommandHandler {
  handle(message: CommandMessage): Promise<void>;
}

/** A function that takes each incoming command message, in arrival order. */
export function commandQueue(handler: CommandHandler): (message: CommandMessage) => void {
  let queue = Promise.resolve();
  return (message) => {
    if (message.type === 'cancel') {
      void handler.handle(message);
      return;
    }
    queue = queue.then(() => {
      const handled = handler.handle(message);
      if (message.type !== 'probe') return handled;
    });
  };
}
