/** What the main area shows before any run exists: how to start, and the three paper models. */
import { MODEL_CATALOG } from '../../core/models/catalog';
import { MODEL_INFO } from './model-info';

export function EmptyState() {
  return (
    <section className="empty-main" aria-labelledby="empty-heading">
      <h2 id="empty-heading">Pick a model and preset, then press Create &amp; start</h2>
      <p className="lead">
        Each run trains in its own Web Worker on your GPU (WebGPU, falling back to WebGL or the CPU)
        on Moving MNIST: videos of handwritten digits bouncing around a 64×64 frame. Watch the loss
        fall, see the frames the model reconstructs and predicts, and score it on a fixed held-out
        set. Start with the <strong>tiny</strong> preset for a quick demo, or the{' '}
        <strong>paper</strong> preset to reproduce the published setup. To train on your own videos
        or a <code>.npy</code> array, open <strong>Data</strong> in the header.
      </p>
      <ul className="model-cards">
        {MODEL_INFO.map((info) => {
          const entry = MODEL_CATALOG[info.kind];
          return (
            <li key={info.kind} className={`model-card${entry ? '' : ' is-unavailable'}`}>
              <div className="model-card-header">
                <h3>{entry?.title ?? info.name}</h3>
                <span className={`badge ${entry ? 'badge-available' : 'badge-soon'}`}>
                  {entry ? 'Available' : 'Coming soon'}
                </span>
              </div>
              <p className="muted small">{entry?.paper ?? info.paper}</p>
              <p>{info.idea}</p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
