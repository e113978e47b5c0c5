/**
 * Webcam clips in the data worker's handler, driven in Node with fake camera frames (a solid gray
 * per frame) and a fake `post`: frames are drawn in order at the dataset's size, the clip ends at
 * `record-stop` or after its seconds, a too-short clip and a cancelled one fail, late frames are
 * closed, and a handler without a way to draw frames refuses to record; and the message for each
 * way getUserMedia fails.
 */
import { describe, expect, it } from 'vitest';
import { cameraErrorMessage } from '../src/app/data/camera';
import type {
  CameraFrame,
  DataCommand,
  DataEvent,
  DataResult,
} from '../src/protocol/data-messages';
import { DataHandler } from '../src/runtime/data-handler';
import type { DataEnvironment } from '../src/runtime/data-handler';

/** A fake 32×16 camera frame of gray level `level` that counts its closes. */
function cameraFrame(level: number, closed: number[]): CameraFrame {
  return {
    width: 32,
    height: 16,
    level,
    close: () => closed.push(level),
  } as unknown as CameraFrame;
}

const OPTIONS = {
  name: 'wave 1',
  width: 8,
  height: 4,
  crop: 'center' as const,
  color: 'gray' as const,
  fps: 10,
  seconds: 1,
  clipLength: 4,
};

function harness(draw = true) {
  const events: DataEvent[] = [];
  const closed: number[] = [];
  const env: DataEnvironment = {
    openVideo: async () => {
      throw new Error('not needed');
    },
    loadMnist: async () => {
      throw new Error('not needed');
    },
    now: () => 0,
    ...(draw
      ? {
          drawCameraFrame: async (frame: CameraFrame, width: number, height: number) => {
            await new Promise((resolve) => setTimeout(resolve, 1)); // drawing is asynchronous
            const level = (frame as unknown as { level: number }).level;
            return new Uint8ClampedArray(width * height * 4).fill(level);
          },
        }
      : {}),
  };
  const handler = new DataHandler((event) => events.push(event), env);
  const send = (command: DataCommand, requestId = 0) => handler.handle({ ...command, requestId });
  const answer = (requestId: number) => {
    const last = events.filter((e) => e.requestId === requestId).at(-1);
    if (last?.type === 'result') return { result: last.result as DataResult };
    if (last?.type === 'failed') return { error: last.message, cancelled: last.cancelled };
    return {};
  };
  return { handler, send, answer, closed, events };
}

describe('webcam recording in the data worker', () => {
  it('draws the frames in order at the dataset size and ends at record-stop', async () => {
    const { send, answer, closed } = harness();
    const recording = send({ type: 'record-clip', options: OPTIONS, existingBytes: 0 }, 7);
    for (let i = 0; i < 6; i++) {
      void send({ type: 'record-frame', target: 7, frame: cameraFrame(10 + i, closed) });
    }
    void send({ type: 'record-stop', target: 7 });
    await recording;
    const { result } = answer(7);
    if (result?.kind !== 'recording') throw new Error('no recording');
    expect(result.fps).toBe(10);
    expect(result.frames).toMatchObject({ frames: 6, width: 8, height: 4, channels: 1 });
    expect(result.frames.segments).toEqual([{ name: 'wave 1', start: 0, length: 6 }]);
    const firstPixels = [...Array(6).keys()].map((f) => result.frames.data[f * 32]);
    expect(firstPixels).toEqual([10, 11, 12, 13, 14, 15]);
    expect(result.thumbnails).toMatchObject({ count: 6, height: 48, width: 96 }); // 2:1 camera
    expect(closed.sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15]);
  });

  it('stops by itself after its seconds and closes the frames that come later', async () => {
    const { send, answer, closed } = harness();
    const recording = send({ type: 'record-clip', options: OPTIONS, existingBytes: 0 }, 3);
    for (let i = 0; i < 12; i++) {
      void send({ type: 'record-frame', target: 3, frame: cameraFrame(i, closed) });
    }
    await recording;
    const { result } = answer(3);
    if (result?.kind !== 'recording') throw new Error('no recording');
    expect(result.frames.frames).toBe(10); // 1 s at 10 fps
    expect(result.frames.data[9 * 32]).toBe(9);
    expect(closed).toHaveLength(12);
  });

  it('refuses a clip shorter than one clip length, saying how long to record', async () => {
    const { send, answer } = harness();
    const recording = send({ type: 'record-clip', options: OPTIONS, existingBytes: 0 }, 4);
    void send({ type: 'record-frame', target: 4, frame: cameraFrame(1, []) });
    void send({ type: 'record-stop', target: 4 });
    await recording;
    expect(answer(4).error).toMatch(
      /"wave 1" is too short: it has 1 frame \(0\.1 s at 10 fps\), but a clip needs 4 frames \(0\.4 s\)/,
    );
  });

  it('fails a cancelled recording as cancelled', async () => {
    const { handler, send, answer } = harness();
    const recording = send({ type: 'record-clip', options: OPTIONS, existingBytes: 0 }, 5);
    void send({ type: 'record-frame', target: 5, frame: cameraFrame(1, []) });
    handler.cancel(5);
    await recording;
    expect(answer(5)).toMatchObject({ cancelled: true });
  });

  it('refuses bad options, a clip that would not fit the dataset, and recording without a browser', async () => {
    const { send, answer } = harness();
    await send({ type: 'record-clip', options: { ...OPTIONS, fps: 0 }, existingBytes: 0 }, 1);
    expect(answer(1).error).toMatch(/fps must be/);
    await send({ type: 'record-clip', options: { ...OPTIONS, seconds: 61 }, existingBytes: 0 }, 2);
    expect(answer(2).error).toMatch(/seconds must be/);
    await send({ type: 'record-clip', options: OPTIONS, existingBytes: 2 ** 40 }, 3);
    expect(answer(3).error).toMatch(/"wave 1" is too large/);
    const headless = harness(false);
    await headless.send({ type: 'record-clip', options: OPTIONS, existingBytes: 0 }, 1);
    expect(headless.answer(1).error).toMatch(/only be recorded in a browser/);
  });
});

describe('camera errors', () => {
  it.each([
    ['NotAllowedError', /permission was refused.*Allow the camera/],
    ['SecurityError', /permission was refused/],
    ['NotFoundError', /No camera was found/],
    ['OverconstrainedError', /No camera was found/],
    ['NotReadableError', /in use by another app/],
    ['AbortError', /in use by another app/],
  ])('%s gets its own message', (name, message) => {
    expect(cameraErrorMessage(new DOMException('raw', name))).toMatch(message);
  });

  it('keeps the browser’s message for anything else', () => {
    expect(cameraErrorMessage(new Error('odd failure'))).toBe(
      'The camera could not be started: odd failure',
    );
  });
});
