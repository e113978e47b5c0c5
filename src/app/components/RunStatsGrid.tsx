/** Step, speed, parameter count and memory of a run, as a definition list. */
import type { RunState } from '../state/store';
import { formatBytes, formatCount, formatMs, formatValue } from './format';

export function RunStatsGrid({ run }: { run: RunState }) {
  const stats = run.stats;
  const items: [string, string, string?][] = [
    ['Step', run.step.toLocaleString()],
    ['ms / step', formatMs(stats?.msPerStep), 'Median of the last 20 steps'],
    ['Steps / s', stats && stats.stepsPerSecond > 0 ? formatValue(stats.stepsPerSecond, 3) : '—'],
    [
      'Parameters',
      formatCount(run.parameterCount),
      run.parameterCount === null ? undefined : run.parameterCount.toLocaleString(),
    ],
    [
      'Tensor memory',
      stats ? `${formatBytes(stats.numBytes)} · ${stats.numTensors.toLocaleString()} tensors` : '—',
      'Bytes held by live tensors (tf.memory().numBytes)',
    ],
    [
      'GPU pool',
      formatBytes(stats?.numBytesAllocatedInGPU),
      'GPU buffers the backend holds, including its reuse pool',
    ],
  ];
  return (
    <dl className="stats-grid">
      {items.map(([term, value, title]) => (
        <div key={term} className="stat" title={title}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
