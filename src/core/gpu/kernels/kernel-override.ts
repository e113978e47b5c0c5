/**
 * An optimisation that replaces registered tfjs kernels of one backend with faster ones.
 *
 * Installing registers, under each kernel name, a switch around whatever is registered at that
 * moment (tfjs's own kernel, or a wrapper such as the rank-5 workaround's): while the
 * optimisation is on, the switch runs the replacement, otherwise the kernel it wraps.
 * Uninstalling only turns the switch off, so nothing registered on top of it later is ever
 * dropped, and the replaced kernel stays reachable for the calls a replacement does not handle.
 * If something re-registers the kernel beneath it (the rank-5 workaround's uninstall restores
 * tfjs's kernel), the next install wraps the new registration.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc } from '@tensorflow/tfjs';
import { registerOptimization } from '../optimizations';

/** A replacement kernel: gets the kernel it replaces, for the calls it leaves to it. */
export type KernelReplacement = (previous: KernelFunc) => KernelFunc;

export function registerKernelOverride(
  id: string,
  description: string,
  backend: string,
  replacements: Record<string, KernelReplacement>,
): void {
  let on = false;
  const switches = new Map<string, KernelFunc>(); // kernel name → the switch registered for it
  registerOptimization({
    id,
    description,
    backends: [backend],
    install(name) {
      if (name !== backend) return;
      on = true;
      for (const [kernelName, replace] of Object.entries(replacements)) {
        const current = tf.getKernel(kernelName, backend);
        if (current === undefined || current.kernelFunc === switches.get(kernelName)) continue;
        const previous = current.kernelFunc;
        const replacement = replace(previous);
        const kernelSwitch: KernelFunc = (args) => (on ? replacement(args) : previous(args));
        switches.set(kernelName, kernelSwitch);
        tf.unregisterKernel(kernelName, backend);
        tf.registerKernel({ ...current, kernelFunc: kernelSwitch });
      }
    },
    uninstall(name) {
      if (name === backend) on = false;
    },
  });
}

/**
 * An optimisation that registers kernels of its own (names tfjs does not have), called through
 * `tf.engine().runKernel` by its ops: installed, they exist; uninstalled, they are gone and the
 * ops take their composed path.
 */
export function registerOwnKernels(
  id: string,
  description: string,
  backend: string,
  kernels: Record<string, KernelFunc>,
): void {
  registerOptimization({
    id,
    description,
    backends: [backend],
    install() {
      for (const [kernelName, kernelFunc] of Object.entries(kernels)) {
        if (tf.getKernel(kernelName, backend) === undefined) {
          tf.registerKernel({ kernelName, backendName: backend, kernelFunc });
        }
      }
    },
    uninstall() {
      for (const kernelName of Object.keys(kernels)) {
        if (tf.getKernel(kernelName, backend) !== undefined)
          tf.unregisterKernel(kernelName, backend);
      }
    },
  });
}
