/**
 * The webcam on the main thread: getUserMedia for a preview and frames only. Each frame is
 * captured as an ImageBitmap and transferred to the data worker, which records it into a clip;
 * no frame is uploaded anywhere.
 */
import type { Recording } from './dataset-registry';

/** A clear sentence for what getUserMedia threw (its DOMException names are the standard's). */
export function cameraErrorMessage(error: unknown): string {
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera permission was refused. Allow the camera for this page (the camera icon in the address bar or the site settings) and try again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found. Connect a webcam (or enable the built-in one) and try again.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera is in use by another app or tab, or the system blocked it. Close the other app and try again.';
    default:
      return `The camera could not be started: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** A camera stream, or an Error with a message from `cameraErrorMessage`. */
export async function openCamera(): Promise<MediaStream> {
  if (typeof navigator === 'undefined' || !navigator.mediaDevices?.getUserMedia) {
    throw new Error(
      'This browser gives this page no camera: webcams need a secure page (https or localhost) in a browser that supports getUserMedia.',
    );
  }
  try {
    return await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 320 }, height: { ideal: 240 } },
      audio: false,
    });
  } catch (error) {
    throw new Error(cameraErrorMessage(error), { cause: error });
  }
}

/**
 * Sends frames of the playing `video` to `recording` at its frame rate until the recording ends
 * (stop, its seconds, cancel or failure). Returns a function that stops sending.
 */
export function captureFrames(video: HTMLVideoElement, recording: Recording): () => void {
  let stopped = false;
  const timer = setInterval(() => {
    if (stopped || video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) return;
    createImageBitmap(video).then(
      (bitmap) => (stopped ? bitmap.close() : recording.addFrame(bitmap)),
      () => {}, // a frame the browser could not capture is skipped
    );
  }, 1000 / recording.options.fps);
  const end = () => {
    stopped = true;
    clearInterval(timer);
  };
  recording.result.then(end, end);
  return end;
}
