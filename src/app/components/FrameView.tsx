/**
 * The run's sample frames: one row per panel (input, reconstruction, ground truth, prediction) on
 * a shared time axis, and an optional animation that plays every row in sync as a video loop.
 * Extra view groups a model sends (fixed-noise grids, latent interpolations) get cards of their own.
 */
import { useDeferredValue, useEffect, useId, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import type { FramePanel, SampleChart, SampleView } from '../../core/models/types';
import { HELD_OUT_GROUP } from '../../protocol/sample-groups';
import type { RunState } from '../state/store';
import {
  FRAME_GAP_PX,
  lazyFrameSources,
  panelFrameSources,
  prepareCanvas,
  preferredScale,
  snapScale,
  timeAxisLength,
} from './frame-drawing';
import { ExamplePicker } from './ExamplePicker';
import { prefersReducedMotion, useElementWidth, useFrameClock } from './hooks';
import { SampleCharts } from './SampleCharts';
import { SegmentedControl } from './SegmentedControl';

const ANIMATION_FPS = 8;
const MIN_CELL_PX = 14;
const FRAME_OUTLINE = 'rgba(100, 116, 139, 0.6)';

/** Cards for the extra view groups a model may send, in this order, with what they show. */
const GROUP_CARDS: Record<string, { title: string; caption: string }> = {
  'fixed-noise': {
    title: 'Fixed-noise samples',
    caption: 'The same latent codes every time: compare refreshes to see training progress.',
  },
  interpolation: {
    title: 'Latent interpolation',
    caption: 'Videos generated along a path between two latent codes.',
  },
};

export function FrameView({ run }: { run: RunState }) {
  const [example, setExample] = useState(0);
  // New samples render as a transition: React builds each panel's frames in its own slice of
  // the main thread rather than every panel in the task that received them.
  const samples = useDeferredValue(run.samples);
  const views = samples?.views ?? [];
  const main = views.filter((view) => view.group === undefined);
  // The held-out clips are for the compare view; here the model's own panels show them.
  const groups = [...new Set(views.flatMap((view) => (view.group ? [view.group] : [])))].filter(
    (group) => group !== HELD_OUT_GROUP,
  );
  const index = Math.min(example, Math.max(0, main.length - 1));
  const view: SampleView | undefined = main[index];
  const showsReconstruction = view?.panels.some((panel) => /reconstruct/i.test(panel.label));
  const stillMode = view?.panels.some((panel) => /still/i.test(panel.label)) ?? false;
  // Held-out sequence numbers (1-based) of the shown examples, when samples come from them.
  const fromHeldOut = run.heldOut !== null;
  const sequenceOf = (i: number) => (run.exampleIndices[i] ?? i) + 1;
  const stepText = samples ? `sampled at step ${samples.step.toLocaleString()}` : '';

  return (
    <>
      <PanelsCard
        title="Frames"
        testId="frame-view"
        panels={view?.panels ?? null}
        empty="Frames from the held-out set appear once the run is ready, and refresh while it trains."
        toolbar={
          main.length > 1 ? (
            <SegmentedControl
              label="Example"
              value={index}
              options={main.map((_, i) => ({
                value: i,
                label: fromHeldOut ? `#${sequenceOf(i)}` : String(i + 1),
              }))}
              onChange={setExample}
            />
          ) : null
        }
        chooser={
          run.heldOut ? (
            <ExamplePicker run={run} stillMode={stillMode} onChosen={() => setExample(0)} />
          ) : null
        }
        caption={
          (fromHeldOut
            ? `Held-out sequence ${sequenceOf(index)} (example ${index + 1} of ${main.length}), ${stepText}.`
            : `Example ${index + 1} of ${main.length}, ${stepText}.`) +
          (showsReconstruction
            ? ' Reconstruction is predicted in reverse order (as in the paper) and shown here in natural order.'
            : '') +
          (view?.caption ? ` ${view.caption}` : '')
        }
      />
      {groups.map((group) => {
        const members = views.filter((v) => v.group === group);
        const title = members.find((v) => v.title)?.title ?? GROUP_CARDS[group]?.title ?? group;
        const caption = members.find((v) => v.caption)?.caption ?? GROUP_CARDS[group]?.caption;
        return (
          <PanelsCard
            key={group}
            title={title}
            testId={`frame-view-${group}`}
            panels={members.flatMap((v) => v.panels)}
            charts={members.flatMap((v) => v.charts ?? [])}
            empty=""
            caption={`${caption ?? ''} Sampled at step ${(samples?.step ?? 0).toLocaleString()}.`.trim()}
          />
        );
      })}
    </>
  );
}

interface PanelsCardProps {
  title: string;
  testId: string;
  panels: FramePanel[] | null;
  charts?: SampleChart[];
  empty: string;
  caption: string;
  toolbar?: ReactNode;
  /** Shown between the header and the frames (e.g. the held-out example picker). */
  chooser?: ReactNode;
}

/**
 * A card of frame rows on a shared time axis, with an optional synchronised animation, and the
 * charts a model sent with them. Stills (every panel one frame, e.g. a dictionary atlas) get
 * neither time axis nor animation.
 */
function PanelsCard({
  title,
  testId,
  panels,
  charts = [],
  empty,
  caption,
  toolbar,
  chooser,
}: PanelsCardProps) {
  const [animate, setAnimate] = useState(false);
  const [playing, setPlaying] = useState(() => !prefersReducedMotion());
  const headingId = useId();
  const stills = panels !== null && timeAxisLength(panels) <= 1;
  return (
    <section className="card" aria-labelledby={headingId} data-testid={testId}>
      <div className="card-header">
        <h3 id={headingId}>{title}</h3>
        {panels && !stills ? (
          <div className="toolbar">
            {toolbar}
            <button type="button" aria-pressed={animate} onClick={() => setAnimate(!animate)}>
              Animate
            </button>
            {animate ? (
              <button type="button" onClick={() => setPlaying(!playing)}>
                {playing ? 'Pause animation' : 'Play animation'}
              </button>
            ) : null}
          </div>
        ) : null}
      </div>
      {chooser}
      {!panels ? (
        <p className="empty-state">{empty}</p>
      ) : (
        <>
          <div className={`frame-layout${animate && !stills ? ' with-animation' : ''}`}>
            {animate && !stills ? <FrameAnimation panels={panels} playing={playing} /> : null}
            <FrameStrip panels={panels} showAxis={!stills} />
          </div>
          <SampleCharts charts={charts} />
          <p className="caption">{caption}</p>
        </>
      )}
    </section>
  );
}

/** Every frame of every panel, laid out on the shared time axis (frame k of the whole clip). */
function FrameStrip({ panels, showAxis }: { panels: FramePanel[]; showAxis: boolean }) {
  const axisRef = useRef<HTMLDivElement>(null);
  const available = useElementWidth(axisRef);
  const length = timeAxisLength(panels);
  const frameHeight = Math.max(...panels.map((panel) => panel.height));
  const frameWidth = Math.max(...panels.map((panel) => panel.width));
  const fit = (available - (length - 1) * FRAME_GAP_PX) / (length * frameWidth);
  const scale = Math.max(
    MIN_CELL_PX / frameWidth,
    Math.min(preferredScale(frameHeight), fit > 0 ? fit : 1),
  );
  const ratio = typeof window === 'undefined' ? 1 : window.devicePixelRatio || 1;
  const snapped = snapScale(scale, ratio);
  // Whole device pixels per cell, so frames never straddle a pixel boundary.
  const cellWidth = Math.max(1, Math.floor(frameWidth * snapped * ratio)) / ratio;
  const cellHeight = Math.max(1, Math.floor(frameHeight * snapped * ratio)) / ratio;

  return (
    <div className="frame-strip">
      <div className={`frame-row frame-axis-row${showAxis ? '' : ' is-empty'}`}>
        <span className="frame-label muted small">frame</span>
        <div className="frame-axis" ref={axisRef}>
          <div
            className="frame-axis-ticks"
            style={{
              gridTemplateColumns: `repeat(${length}, ${cellWidth}px)`,
              columnGap: `${FRAME_GAP_PX}px`,
            }}
            aria-hidden="true"
          >
            {Array.from({ length }, (_, i) => (
              <span key={i}>{i + 1}</span>
            ))}
          </div>
        </div>
      </div>
      {panels.map((panel, i) => (
        <div className="frame-row" key={`${i}:${panel.label}`}>
          <span className="frame-label">{panel.label}</span>
          <div className="frame-canvas-scroll">
            <StripCanvas
              panel={panel}
              length={length}
              cellWidth={cellWidth}
              cellHeight={cellHeight}
              smooth={snapped * ratio < 1}
            />
          </div>
        </div>
      ))}
    </div>
  );
}

interface StripCanvasProps {
  panel: FramePanel;
  length: number;
  cellWidth: number;
  cellHeight: number;
  smooth: boolean;
}

function StripCanvas({ panel, length, cellWidth, cellHeight, smooth }: StripCanvasProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const sources = useMemo(() => panelFrameSources(panel), [panel]);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const width = length * cellWidth + (length - 1) * FRAME_GAP_PX;
    const context = prepareCanvas(canvas, width, cellHeight, smooth);
    if (!context) return;
    // A thin outline keeps white frames (the rCNN's uncertainty of an untrained model) from
    // vanishing into the white card.
    context.strokeStyle = FRAME_OUTLINE;
    context.lineWidth = 1;
    sources.forEach((source, t) => {
      const x = (panel.timeOffset + t) * (cellWidth + FRAME_GAP_PX);
      context.drawImage(source, x, 0, cellWidth, cellHeight);
      context.strokeRect(x + 0.5, 0.5, cellWidth - 1, cellHeight - 1);
    });
  }, [sources, panel.timeOffset, length, cellWidth, cellHeight, smooth]);
  const first = panel.timeOffset + 1;
  return (
    <canvas
      ref={ref}
      role="img"
      aria-label={`${panel.label}: frames ${first} to ${panel.timeOffset + panel.t}`}
    />
  );
}

/** Plays all panels as video loops on the shared time axis, in sync, at ~8 fps. */
function FrameAnimation({ panels, playing }: { panels: FramePanel[]; playing: boolean }) {
  const length = timeAxisLength(panels);
  const [tick, setTick] = useState(0);
  const frame = length > 0 ? tick % length : 0;

  useFrameClock(ANIMATION_FPS, playing, () => setTick((previous) => previous + 1));

  return (
    <div className="frame-animation">
      <div className="frame-animation-tiles">
        {panels.map((panel, i) => (
          <AnimatedPanel key={`${i}:${panel.label}`} panel={panel} frame={frame} />
        ))}
      </div>
      <p className="muted small frame-counter">
        frame {frame + 1} / {length}
      </p>
    </div>
  );
}

/** One panel's video tile; outside its part of the time axis it holds its nearest frame, dimmed. */
function AnimatedPanel({ panel, frame }: { panel: FramePanel; frame: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const frameAt = useMemo(() => lazyFrameSources(panel), [panel]);
  const local = frame - panel.timeOffset;
  const inRange = local >= 0 && local < panel.t;
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas || panel.t === 0) return;
    const scale = preferredScale(panel.height);
    const width = panel.width * scale;
    const height = panel.height * scale;
    const context = prepareCanvas(canvas, width, height, false);
    if (!context) return;
    context.globalAlpha = inRange ? 1 : 0.25;
    context.drawImage(frameAt(local), 0, 0, width, height);
    context.globalAlpha = 1;
  }, [frameAt, panel.t, panel.width, panel.height, local, inRange]);
  return (
    <figure className={`frame-tile${inRange ? '' : ' is-idle'}`}>
      <canvas ref={ref} role="img" aria-label={`${panel.label}, animated`} />
      <figcaption>{panel.label}</figcaption>
    </figure>
  );
}
