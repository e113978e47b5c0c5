/**
 * An optimisation that replaces registered tfjs kernels of one backend with faster ones. Install
 * saves whatever is registered under each name at that moment (tfjs's own kernel, or a wrapper
 * such as the rank-5 workaround's) and registers the replacement; uninstall puts the saved one
 * back. Replacements fall back to the saved kernel for calls they do not handle.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { registerOptimization } from '../optimizations';

/** A replacement kernel: gets the kernel it replaces, for the calls it leaves to it. */
export type KernelReplacement = (previous: KernelFunc) => KernelFunc;

export function registerKernelOverride(
  id: string,
  description: string,
  backend: string,
  replacements: Record<string, KernelReplacement>,
): void {
  const saved = new Map<string, KernelConfig>();
  registerOptimization({
    id,
    description,
    backends: [backend],
    install(name) {
      if (name !== backend || saved.size > 0) return;
      for (const [kernelName, replace] of Object.entries(replacements)) {
        const previous = tf.getKernel(kernelName, backend);
        if (previous === undefined) continue; // nothing to replace on this build
        saved.set(kernelName, previous);
        tf.unregisterKernel(kernelName, backend);
        tf.registerKernel({ ...previous, kernelFunc: replace(previous.kernelFunc) });
      }
    },
    uninstall(name) {
      if (name !== backend) return;
      for (const [kernelName, previous] of saved) {
        tf.unregisterKernel(kernelName, backend);
        tf.registerKernel(previous);
      }
      saved.clear();
    },
  });
}
