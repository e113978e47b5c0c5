/**
 * Yields to the event loop with a macrotask so queued commands (pause, stop, hyperparameters) are
 * handled between training steps. MessageChannel avoids setTimeout's 4 ms clamp on nested timers.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
