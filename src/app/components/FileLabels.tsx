/**
 * Each file (or webcam clip) of a dataset with its class: a label per file, e.g. several clips of
 * each of three gestures, and how many files each class has.
 */
import { useState } from 'react';
import { datasetRegistry } from '../data/instance';
import type { DatasetInfo } from '../state/datasets';

export function FileLabels({ info }: { info: DatasetInfo }) {
  const counts = new Map<string, number>();
  for (const label of info.labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  const classes = [...counts].filter(([label]) => label !== '');
  const unlabelled = counts.get('') ?? 0;
  return (
    <details className="file-labels" open={info.files.length <= 12}>
      <summary>
        {info.files.length} {info.kind === 'webcam' ? 'clip' : 'file'}
        {info.files.length === 1 ? '' : 's'} ·{' '}
        {classes.length === 0
          ? 'no labels yet'
          : `${classes.map(([label, n]) => `${label} (${n})`).join(', ')}${unlabelled ? `, ${unlabelled} unlabelled` : ''}`}
      </summary>
      <ol className="file-label-list">
        {info.files.map((file, index) => (
          <li key={`${index}:${file}`}>
            <span className="file-name">{file}</span>
            <LabelInput info={info} index={index} file={file} />
          </li>
        ))}
      </ol>
    </details>
  );
}

function LabelInput({ info, index, file }: { info: DatasetInfo; index: number; file: string }) {
  const stored = info.labels[index] ?? '';
  const [draft, setDraft] = useState(stored);
  const commit = () => {
    if (draft.trim() !== stored) datasetRegistry.setLabel(info.id, index, draft);
  };
  return (
    <input
      type="text"
      className="label-input"
      aria-label={`Label of ${file}`}
      placeholder="label, e.g. wave"
      value={draft}
      maxLength={120}
      onChange={(event) => setDraft(event.target.value)}
      onBlur={commit}
      onKeyDown={(event) => {
        if (event.key === 'Enter') commit();
      }}
    />
  );
}
