/** Number, byte and duration formatting shared by the run views. */
import type { BackendName, RunStatus } from '../../protocol/messages';
import type { RunState } from '../state/store';

export const BACKEND_LABELS: Record<BackendName, string> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  cpu: 'CPU',
};

export const STATUS_LABELS: Record<RunStatus, string> = {
  creating: 'Creating',
  'warming-up': 'Warming up',
  ready: 'Ready',
  running: 'Running',
  paused: 'Paused',
  stopped: 'Stopped',
  error: 'Error',
  disposed: 'Removed',
};

/** A run's status in words; a run waiting for its turn to be built says so, not "Creating". */
export function statusLabel(run: Pick<RunState, 'status' | 'progress'>): string {
  return run.progress?.phase === 'queued' ? 'Waiting for its turn' : STATUS_LABELS[run.status];
}

/** 1536 → "1.5 KB"; binary units, as GPU memory is reported. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** 1234567 → "1.23 M" (parameter counts). */
export function formatCount(count: number | null | undefined): string {
  if (count === null || count === undefined || !Number.isFinite(count)) return '—';
  if (Math.abs(count) < 1000) return String(count);
  const units = ['', 'k', 'M', 'G'];
  let value = count;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toPrecision(3)} ${units[unit]}`;
}

/** A metric value with 4 significant digits, switching to exponent notation for tiny numbers. */
export function formatValue(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return '—';
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e6) {
    return Number(value.toPrecision(digits)).toExponential(); // 1e-4, 2.5e-5
  }
  return Number(value.toPrecision(digits)).toString();
}

/** Seconds → "42 s", "3:05", "1:02:03" (x axis of wall-clock charts). */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms <= 0) return '—';
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

/**
 * Whether the focused element handles `key` itself, so a global shortcut must leave it alone:
 * fields (and sliders) use every key; buttons, links and summaries use Space and Enter to activate,
 * so N and the arrows still reach the shortcuts while one of them has focus.
 */
export function ownsKey(target: EventTarget | null, key: string): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target.closest('input, textarea, select, [role="slider"]')) return true;
  const activates = key === ' ' || key === 'Enter';
  return activates && Boolean(target.closest('button, a[href], summary, [role="button"]'));
}
