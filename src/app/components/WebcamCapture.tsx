/**
 * Webcam clips in the Data view, toward a video Teachable Machine: turn the camera on, type the
 * class of the next clip (e.g. "wave"), record a few seconds, repeat. Frames go from the preview to the
 * data worker and into one dataset of webcam clips, each with its label; nothing leaves the device.
 */
import { useEffect, useRef, useState } from 'react';
import { captureFrames, openCamera } from '../data/camera';
import { DEFAULT_RECORD_OPTIONS } from '../data/dataset-registry';
import type { Recording } from '../data/dataset-registry';
import { datasetRegistry } from '../data/instance';
import { useDatasets } from '../state/datasets';
import { Field, NumberField } from './Field';

type CameraState =
  | { status: 'off' }
  | { status: 'starting' }
  | { status: 'on'; stream: MediaStream }
  | { status: 'error'; message: string };

function parseSeconds(text: string): { value: number; error: string | null } {
  const value = Number(text);
  return text.trim() !== '' && value > 0 && value <= 60
    ? { value, error: null }
    : { value: DEFAULT_RECORD_OPTIONS.seconds, error: 'Seconds must be between 0 and 60' };
}

export function WebcamCapture() {
  const [camera, setCamera] = useState<CameraState>({ status: 'off' });
  const [label, setLabel] = useState('');
  const [secondsText, setSecondsText] = useState(String(DEFAULT_RECORD_OPTIONS.seconds));
  const [recording, setRecording] = useState<Recording | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [datasetId, setDatasetId] = useState<string | null>(null);
  const video = useRef<HTMLVideoElement>(null);
  const exists = useDatasets((state) => (datasetId ? datasetId in state.datasets : false));
  const clips = useDatasets((state) =>
    datasetId ? (state.datasets[datasetId]?.files.length ?? 0) : 0,
  );
  const seconds = parseSeconds(secondsText);
  const stream = camera.status === 'on' ? camera.stream : null;

  useEffect(() => {
    if (video.current && stream) video.current.srcObject = stream;
    return () => stream?.getTracks().forEach((track) => track.stop());
  }, [stream]);

  const start = async () => {
    setCamera({ status: 'starting' });
    setError(null);
    try {
      setCamera({ status: 'on', stream: await openCamera() });
    } catch (failure) {
      setCamera({ status: 'error', message: (failure as Error).message });
    }
  };

  const record = async () => {
    if (!video.current || recording) return;
    setError(null);
    let next: Recording;
    try {
      next = datasetRegistry.startRecording({
        label,
        seconds: seconds.value,
        ...(datasetId && exists ? { appendTo: datasetId } : {}),
      });
    } catch (failure) {
      setError((failure as Error).message);
      return;
    }
    setRecording(next);
    captureFrames(video.current, next);
    try {
      const summary = await next.result;
      setDatasetId(summary.datasetId);
    } catch {
      // A refused clip (e.g. too short) is listed with the failed imports by the registry.
    } finally {
      setRecording(null);
    }
  };

  return (
    <section className="card webcam-card" aria-label="Webcam clips">
      <div className="webcam-intro">
        <h3>Record clips with your webcam</h3>
        <p className="muted small">
          Record a few seconds of each gesture and label each clip: the clips train any model like
          an imported video. The video stays in this browser: frames are recorded in a worker on
          this device and never uploaded.
        </p>
      </div>
      {camera.status === 'on' ? (
        <div className="webcam-body">
          <video
            ref={video}
            className="webcam-preview"
            autoPlay
            muted
            playsInline
            aria-label="Camera preview"
          />
          <div className="webcam-controls">
            <Field label="Label of the next clip" help="e.g. wave, clap, still">
              {(ids) => (
                <input
                  {...ids}
                  type="text"
                  value={label}
                  maxLength={120}
                  placeholder="wave"
                  onChange={(event) => setLabel(event.target.value)}
                />
              )}
            </Field>
            <NumberField
              label="Seconds per clip"
              value={secondsText}
              error={seconds.error}
              onChange={setSecondsText}
              min={0}
              max={60}
            />
            <div className="button-row">
              {recording ? (
                <button type="button" className="button-primary" onClick={() => recording.stop()}>
                  Stop recording
                </button>
              ) : (
                <button
                  type="button"
                  className="button-primary"
                  disabled={!!seconds.error}
                  onClick={() => void record()}
                >
                  Record clip
                </button>
              )}
              <button
                type="button"
                disabled={!!recording}
                onClick={() => setCamera({ status: 'off' })}
              >
                Turn camera off
              </button>
            </div>
            <p className="muted small" aria-live="polite">
              {recording
                ? `Recording “${recording.options.name}”…`
                : exists
                  ? `${clips} clip${clips === 1 ? '' : 's'} in “Webcam clips” below.`
                  : `Clips are ${DEFAULT_RECORD_OPTIONS.width}×${DEFAULT_RECORD_OPTIONS.height} at ${DEFAULT_RECORD_OPTIONS.fps} fps.`}
            </p>
          </div>
        </div>
      ) : (
        <div className="button-row">
          <button
            type="button"
            disabled={camera.status === 'starting'}
            onClick={() => void start()}
          >
            {camera.status === 'starting' ? 'Starting the camera…' : 'Turn camera on'}
          </button>
        </div>
      )}
      {camera.status === 'error' || error ? (
        <div className="alert alert-error" role="alert">
          <p className="alert-title">
            {camera.status === 'error' ? 'Camera unavailable' : 'Recording failed'}
          </p>
          <p>{camera.status === 'error' ? camera.message : error}</p>
        </div>
      ) : null}
    </section>
  );
}
