/**
 * Performance changes that can be switched off one at a time (custom kernels, fused ops), so the
 * benchmark can measure each one's gain against the code without it, and so a suspected
 * regression can be ruled out. Every optimisation must compute the same values as the code it
 * replaces (each has a parity test against the CPU backend); only speed and memory may differ.
 *
 * An optimisation is registered once, at import time of its module, and is enabled by default.
 * `selectBackend` applies the enabled ones that support the chosen backend.
 */

export interface Optimization {
  /** Stable id, e.g. 'webgpu-conv3d-filter-grad'; the benchmark prints it. */
  id: string;
  /** One line on what it changes and why, for the benchmark table and the README. */
  description: string;
  /** Backends it applies to. */
  backends: readonly string[];
  /** Puts it in place for `backend` (idempotent). */
  install(backend: string): void;
  /** Restores the code it replaces (idempotent). */
  uninstall(backend: string): void;
}

const registry = new Map<string, Optimization>();
const disabled = new Set<string>();

export function registerOptimization(optimization: Optimization): void {
  if (registry.has(optimization.id)) {
    throw new Error(`Optimization "${optimization.id}" is registered twice`);
  }
  registry.set(optimization.id, optimization);
}

export function listOptimizations(): readonly Optimization[] {
  return [...registry.values()];
}

export function isOptimizationEnabled(id: string): boolean {
  return registry.has(id) && !disabled.has(id);
}

/**
 * Enables or disables one optimisation (throws for an unknown id) and applies the change to
 * `backend` (the active one) at once.
 */
export function setOptimizationEnabled(id: string, enabled: boolean, backend: string): void {
  const optimization = registry.get(id);
  if (!optimization) {
    const known = [...registry.keys()].join(', ') || 'none';
    throw new Error(`Unknown optimization "${id}" (known: ${known})`);
  }
  if (enabled) disabled.delete(id);
  else disabled.add(id);
  if (!optimization.backends.includes(backend)) return;
  if (enabled) optimization.install(backend);
  else optimization.uninstall(backend);
}

/** Installs every enabled optimisation that supports `backend`; returns their ids. */
export function applyOptimizations(backend: string): string[] {
  const applied: string[] = [];
  for (const optimization of registry.values()) {
    if (disabled.has(optimization.id) || !optimization.backends.includes(backend)) continue;
    optimization.install(backend);
    applied.push(optimization.id);
  }
  return applied;
}
