/**
 * The new-run form: model, variant and preset pickers, a config editor generated from the model's
 * schema (validated by the model's own resolver on every edit), Moving MNIST options, the
 * backend and seed, and a memory estimate that asks for confirmation when it is large.
 */
import { useId, useState } from 'react';
import { LARGE_MEMORY_BYTES } from '../../core/models/config-schema';
import type { ModelDefinition, ResolvedModel } from '../../core/models/kit/definition';
import { MODELS, findModel } from '../../core/models/registry';
import type { ModelKind } from '../../core/models/registry';
import { MAX_SEED } from '../../core/seed';
import type { BackendName, RunSpec } from '../../protocol/messages';
import { runManager } from '../runs/instance';
import type { StartedRun } from '../runs/run-manager';
import { usePlayground } from '../state/store';
import { ConfigEditor } from './ConfigEditor';
import { DataOptions, DEFAULT_DATA_DRAFTS, checkData, parseInteger } from './DataOptions';
import type { DataDrafts } from './DataOptions';
import { Field, NumberField } from './Field';
import { checkConfig, draftsFromConfig, presetConfig } from './config-form';
import type { Draft, Drafts } from './config-form';
import { describeCommandError } from './errors';
import { formatBytes } from './format';

const BACKEND_CHOICES: { value: BackendName | 'auto'; label: string }[] = [
  { value: 'auto', label: 'Auto (WebGPU → WebGL → CPU; fastest if WebGPU is software)' },
  { value: 'webgpu', label: 'WebGPU' },
  { value: 'webgl', label: 'WebGL' },
  { value: 'cpu', label: 'CPU' },
];

function initialDrafts(entry: ModelDefinition, variant: string, preset: string): Drafts {
  try {
    return draftsFromConfig(entry.schema, presetConfig(entry, variant, preset));
  } catch {
    return {};
  }
}

export function NewRunPanel() {
  return <NewRunForm initial={MODELS[0]} />;
}

function NewRunForm({ initial }: { initial: ModelDefinition<ModelKind> }) {
  const [kind, setKind] = useState<ModelKind>(initial.kind);
  const entry = findModel(kind) ?? initial;
  const [variant, setVariant] = useState(initial.defaultVariant);
  const [preset, setPreset] = useState(initial.defaultPreset);
  const [drafts, setDrafts] = useState<Drafts>(() =>
    initialDrafts(initial, initial.defaultVariant, initial.defaultPreset),
  );
  const [dataDrafts, setDataDrafts] = useState<DataDrafts>(DEFAULT_DATA_DRAFTS);
  const [modelSeed, setModelSeed] = useState('0');
  const [confirmedLarge, setConfirmedLarge] = useState(false);
  const [createError, setCreateError] = useState<string | null>(null);
  const backend = usePlayground((state) => state.backendOverride);
  const setBackend = usePlayground((state) => state.setBackendOverride);
  const headingId = useId();

  const check = checkConfig(entry, variant, preset, drafts);
  const data = checkData(dataDrafts);
  const seed = parseInteger(modelSeed, 'seed', 0, MAX_SEED);
  const memoryBytes = check.resolved ? safeEstimate(check.resolved) : null;
  const large = memoryBytes !== null && memoryBytes > LARGE_MEMORY_BYTES;
  const valid = check.resolved !== null && data.spec !== null && seed.error === null;
  const canCreate = valid && (!large || confirmedLarge);
  const changed = new Set(Object.keys(check.overrides));

  const choose = (nextKind: ModelKind, nextVariant: string, nextPreset: string) => {
    const nextEntry = findModel(nextKind);
    if (!nextEntry) return;
    setKind(nextKind);
    setVariant(nextVariant);
    setPreset(nextPreset);
    setDrafts(initialDrafts(nextEntry, nextVariant, nextPreset));
    setConfirmedLarge(false);
  };

  const create = (startAfter: boolean) => {
    if (!canCreate || !data.spec) return;
    setCreateError(null);
    const spec: RunSpec = {
      model: kind,
      variant,
      preset,
      ...(Object.keys(check.overrides).length > 0 ? { config: check.overrides } : {}),
      data: data.spec,
      ...(backend !== 'auto' ? { backend } : {}),
      seed: seed.value,
    };
    setConfirmedLarge(false);
    let started: StartedRun;
    try {
      started = runManager.startRun(spec, { start: startAfter });
    } catch (error) {
      setCreateError(`The run could not be created: ${describeCommandError(error)}`);
      return;
    }
    const { id, ready } = started;
    ready.catch((error: unknown) => {
      // Quiet when the user removed the run while it was being created.
      if (!usePlayground.getState().runs[id]) return;
      setCreateError(
        `Run ${id.replace('run-', '#')} could not be created: ${describeCommandError(error)}`,
      );
    });
  };

  const selectedPreset = entry.presets.find((p) => p.id === preset);
  const selectedVariant = entry.variants.find((v) => v.id === variant);
  const changedCount = changed.size;

  return (
    <section className="panel new-run" aria-labelledby={headingId}>
      <h2 id={headingId}>New run</h2>
      <form onSubmit={(event) => event.preventDefault()} noValidate>
        <Field
          label="Model"
          help={
            <>
              {entry.summary} <cite>{entry.paper}</cite>
            </>
          }
        >
          {(ids) => (
            <select
              {...ids}
              value={kind}
              onChange={(event) => {
                const next = findModel(event.target.value);
                if (next) choose(next.kind, next.defaultVariant, next.defaultPreset);
              }}
            >
              {MODELS.map((option) => (
                <option key={option.kind} value={option.kind}>
                  {option.title}
                </option>
              ))}
            </select>
          )}
        </Field>

        <Field label="Variant" help={selectedVariant?.description}>
          {(ids) => (
            <select
              {...ids}
              value={variant}
              onChange={(event) => choose(kind, event.target.value, preset)}
            >
              {entry.variants.map((option) => (
                <option key={option.id} value={option.id}>
                  {option.label}
                </option>
              ))}
            </select>
          )}
        </Field>

        <fieldset className="preset-picker">
          <legend>Preset</legend>
          {entry.presets.map((option) => (
            <label
              key={option.id}
              className={`preset-option${option.id === preset ? ' is-selected' : ''}`}
            >
              <input
                type="radio"
                name="preset"
                value={option.id}
                checked={option.id === preset}
                onChange={() => choose(kind, variant, option.id)}
              />
              <span className="preset-text">
                <span className="preset-label">{option.label}</span>
                <span className="preset-description">{option.description}</span>
              </span>
            </label>
          ))}
        </fieldset>

        {check.formError ? (
          <p className="field-error" role="status">
            {check.formError}
          </p>
        ) : null}
        <details className="form-section">
          <summary>
            Model config
            <span className="summary-note">
              {changedCount > 0
                ? ` · ${changedCount} changed from “${selectedPreset?.label ?? preset}”`
                : ` · preset values`}
            </span>
          </summary>
          <ConfigEditor
            schema={entry.schema}
            drafts={drafts}
            errors={check.fieldErrors}
            changed={changed}
            onChange={(key: string, draft: Draft) => setDrafts({ ...drafts, [key]: draft })}
          />
          <button
            type="button"
            className="button-quiet"
            disabled={changedCount === 0 && Object.keys(check.fieldErrors).length === 0}
            onClick={() => setDrafts(initialDrafts(entry, variant, preset))}
          >
            Reset to preset
          </button>
        </details>

        <details className="form-section">
          <summary>
            {dataDrafts.source === 'video' ? 'Data: imported dataset' : 'Data: Moving MNIST'}
            <span className="summary-note">
              {dataDrafts.source === 'video'
                ? ` · ${dataDrafts.datasetId || 'none chosen'}, seed ${dataDrafts.seed}`
                : ` · ${dataDrafts.digits} digits, seed ${dataDrafts.seed}`}
            </span>
          </summary>
          <DataOptions drafts={dataDrafts} errors={data.errors} onChange={setDataDrafts} />
        </details>

        <Field label="Backend">
          {(ids) => (
            <select
              {...ids}
              value={backend}
              onChange={(event) => setBackend(event.target.value as BackendName | 'auto')}
            >
              {BACKEND_CHOICES.map((choice) => (
                <option key={choice.value} value={choice.value}>
                  {choice.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <NumberField
          label="Model seed"
          error={seed.error}
          help="Weight init and sampling noise."
          value={modelSeed}
          onChange={setModelSeed}
          min={0}
          integer
        />

        <MemoryEstimate
          bytes={memoryBytes}
          confirmed={confirmedLarge}
          onConfirm={(confirmed) => setConfirmedLarge(confirmed)}
        />

        <div className="button-row">
          <button
            type="button"
            className="button-primary"
            disabled={!canCreate}
            onClick={() => create(true)}
          >
            Create &amp; start
          </button>
          <button type="button" disabled={!canCreate} onClick={() => create(false)}>
            Create
          </button>
        </div>
        {!valid ? <p className="muted small">Fix the highlighted fields to create a run.</p> : null}
        {createError ? (
          <div className="alert alert-error" role="alert">
            <p>{createError}</p>
            <button type="button" className="button-quiet" onClick={() => setCreateError(null)}>
              Dismiss
            </button>
          </div>
        ) : null}
      </form>
    </section>
  );
}

interface MemoryEstimateProps {
  bytes: number | null;
  confirmed: boolean;
  onConfirm(confirmed: boolean): void;
}

function MemoryEstimate({ bytes, confirmed, onConfirm }: MemoryEstimateProps) {
  if (bytes === null) {
    return <p className="memory-estimate muted">Memory estimate: — (config is invalid)</p>;
  }
  if (bytes <= LARGE_MEMORY_BYTES) {
    return (
      <p className="memory-estimate">
        Estimated GPU memory per training step: <strong>{formatBytes(bytes)}</strong>
      </p>
    );
  }
  return (
    <div className="memory-estimate alert alert-warning">
      <p>
        Estimated GPU memory per training step: <strong>{formatBytes(bytes)}</strong>. This is more
        than {formatBytes(LARGE_MEMORY_BYTES)}; on laptops and integrated GPUs allocation may fail
        or training may be very slow.
      </p>
      <label className="field-inline field-label">
        <input
          type="checkbox"
          checked={confirmed}
          onChange={(event) => onConfirm(event.target.checked)}
        />
        <span>I understand, create it anyway</span>
      </label>
    </div>
  );
}

function safeEstimate(resolved: ResolvedModel): number | null {
  try {
    const bytes = resolved.memoryBytes();
    return Number.isFinite(bytes) ? bytes : null;
  } catch {
    return null;
  }
}
