/**
 * Each file (or webcam clip) of a dataset with its class: a label per file, e.g. several clips of
 * each of three gestures, and how many files each class has. A .npy array is one file whose
 * sequences may each have a label from a labels file: they are counted per label, not listed.
 */
import { useState } from 'react';
import { datasetRegistry } from '../data/instance';
import { labelCounts } from '../state/datasets';
import type { DatasetInfo } from '../state/datasets';

export function FileLabels({ info }: { info: DatasetInfo }) {
  const { unit, counts } = labelCounts(info);
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  const classes = [...counts].filter(([label]) => label !== '');
  const unlabelled = counts.get('') ?? 0;
  const count = (n: number) => n.toLocaleString('en-US');
  return (
    <details className="file-labels" open={info.files.length <= 12}>
      <summary>
        {count(total)} {unit}
        {total === 1 ? '' : 's'} ·{' '}
        {classes.length === 0
          ? 'no labels yet'
          : `${classes.map(([label, n]) => `${label} (${count(n)})`).join(', ')}${unlabelled ? `, ${count(unlabelled)} unlabelled` : ''}`}
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
      placeholder={
        info.sequenceLabels ? 'one per sequence; a label here labels all' : 'label, e.g. wave'
      }
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
