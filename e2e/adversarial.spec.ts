/**
 * The adversarial suite in the browser (issue 20): a seeded sample of the hostile inputs of
 * tests/adversarial/generators.ts goes through the built app, the way a user or a script would
 * send it — checkpoint files and `.npy` files through the UI's file inputs, links in the page's
 * URL and through `loadExperiment`, run specs through `window.playground.createRun`, and API call
 * sequences during create, restore and dispose. After every input the invariant must hold:
 *
 * - a clear message naming the problem (in the UI's alert, or the API's rejection: not empty, of
 *   reasonable length, not a JavaScript crash, naming its field where it has one);
 * - no run created or changed: the run list is the same, and the run that trains meanwhile keeps
 *   its spec, hyperparameters and loss curve (its old points stay as they were);
 * - no state lost: that run is still running at the end, steps further on;
 * - the page still responsive: an animation frame comes within 3 s (the machine's two cores may
 *   be busy), and its text stays short (no hostile input echoed into the DOM).
 *
 * Prints how many inputs each entry point tried and handled. ADVERSARIAL_SEED picks another
 * sample (the default, 20, is the one CI runs).
 */
import type { Page } from '@playwright/test';
import { SeededRandom } from '../src/core/data/random';
import type { ConfigError } from '../src/core/models/config-schema';
import { EXPERIMENT_HASH_KEY, decodeExperiment } from '../src/protocol/experiment';
import type { RunSpec } from '../src/protocol/messages';
import {
  VALID_NPY,
  hostileCheckpoints,
  hostileLinks,
  hostileNpyFiles,
  hostileRunSpecs,
} from '../tests/adversarial/generators';
import type { HostileInput } from '../tests/adversarial/generators';
import { AdversarialTally, messageProblem } from '../tests/adversarial/invariant';
import { expect, test } from './fixtures';
import type { PlaygroundPage } from './fixtures';

const SEED = Number(process.env.ADVERSARIAL_SEED ?? 20);

/** Inputs per entry point in the sample (the unit suite feeds all of them). */
const SAMPLE = {
  urlLinks: 6,
  apiLinks: 6,
  runSpecs: 5, // per model
  checkpointsIntoRun: 12,
  checkpointsAsNewRun: 4,
  npyFiles: 8,
  npyOptions: 4,
};

/** A run small enough to train many steps a second on the CPU backend while the inputs arrive. */
const VICTIM: RunSpec = {
  model: 'lstm',
  preset: 'tiny',
  backend: 'cpu',
  seed: 3,
  config: {
    frameSize: 16,
    hiddenUnits: 8,
    inputFrames: 3,
    futureFrames: 3,
    batchSize: 2,
    evalSequences: 2,
    evalEvery: 100_000,
    sampleEvery: 100_000,
  },
  data: { source: 'moving-mnist', seed: 5, digitSize: 8, speed: 2 },
};

const tally = new AdversarialTally();

test.afterAll(() => {
  console.log(tally.report(`Adversarial suite (browser, seed ${SEED})`));
});

/** `count` inputs that must be refused, drawn without replacement by a seeded generator. */
function sample<T>(inputs: HostileInput<T>[], count: number, salt: number): HostileInput<T>[] {
  const pool = inputs.filter((input) => input.mustRefuse);
  const random = new SeededRandom(SEED * 1000 + salt);
  for (let i = 0; i < Math.min(count, pool.length); i++) {
    const j = i + random.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, count);
}

/** What an API call answered: null when it resolved, else the error's name, message and field. */
interface Refusal {
  name: string;
  message: string;
  field?: unknown;
}

/** Why an API refusal is not a clear one (null when it is); `null` refusal: it was accepted. */
function refusalProblem(refusal: Refusal | null): string | null {
  if (refusal === null) return 'accepted';
  if (/^(TypeError|RangeError|SyntaxError|ReferenceError)$/.test(refusal.name)) {
    return `a crash (${refusal.name}): ${refusal.message.slice(0, 200)}`;
  }
  if (refusal.field !== undefined && (typeof refusal.field !== 'string' || !refusal.field)) {
    return `no field named: ${refusal.message.slice(0, 200)}`;
  }
  return messageProblem(refusal.message);
}

/** Calls `window.playground[method](...args)` in the page; resolves with its refusal or null. */
function apiCall(page: Page, method: string, args: unknown[]): Promise<Refusal | null> {
  return page.evaluate(
    async ([name, values]) => {
      try {
        const api = window.playground as unknown as Record<string, (...a: unknown[]) => unknown>;
        await api[name](...values);
        return null;
      } catch (error) {
        const e = error as { name?: string; message?: string; field?: unknown };
        return { name: String(e?.name), message: String(e?.message ?? error), field: e?.field };
      }
    },
    [method, args] as const,
  );
}

/** Milliseconds the page takes to give an animation frame (main-thread responsiveness). */
function frameDelay(page: Page): Promise<number> {
  return page.evaluate(() => {
    const start = performance.now();
    return new Promise<number>((resolve) =>
      requestAnimationFrame(() => resolve(performance.now() - start)),
    );
  });
}

/** The part of the victim run that no refused input may change. */
interface Watched {
  spec: string;
  hyperparameters: string;
  loss: [number, number][];
  step: number;
}

async function watched(playground: PlaygroundPage, id: string): Promise<Watched> {
  const run = await playground.getRun(id);
  return {
    spec: `${run.model}/${run.variant}/${run.preset}`,
    hyperparameters: JSON.stringify(run.hyperparameters),
    loss: run.metrics.loss ?? [],
    step: run.step,
  };
}

/**
 * Checks the invariant after an input: the runs are `runs`, the victim (when there is one) is
 * still running with the same spec and hyperparameters and an unchanged past, and the page
 * answers. Returns the problems found.
 */
async function invariantProblems(
  playground: PlaygroundPage,
  runs: string[],
  victim?: { id: string; before: Watched },
): Promise<string[]> {
  const problems: string[] = [];
  const page = playground.page;
  const list = await page.evaluate(() => window.playground.listRuns());
  if (JSON.stringify(list) !== JSON.stringify(runs)) {
    problems.push(`runs are ${JSON.stringify(list)}, not ${JSON.stringify(runs)}`);
  }
  if (victim) {
    const status = (await playground.getRun(victim.id)).status;
    if (status !== 'running') problems.push(`the training run is ${status}`);
    const now = await watched(playground, victim.id);
    if (now.spec !== victim.before.spec) problems.push(`its spec became ${now.spec}`);
    if (now.hyperparameters !== victim.before.hyperparameters) {
      problems.push(`its hyperparameters became ${now.hyperparameters}`);
    }
    if (now.step < victim.before.step) problems.push(`its step went back to ${now.step}`);
    const past = JSON.stringify(now.loss.slice(0, victim.before.loss.length));
    if (past !== JSON.stringify(victim.before.loss)) problems.push('its loss curve was replaced');
  }
  const delay = await frameDelay(page);
  if (delay > 3000) problems.push(`the page took ${Math.round(delay)} ms to draw a frame`);
  const text = await page.evaluate(() => document.body.textContent?.length ?? 0);
  if (text > 200_000) problems.push(`the page holds ${text} characters of text`);
  return problems;
}

/** Records one input's answer and invariant in the tally; returns "label: problem" or nothing. */
function record(entry: string, label: string, problems: (string | null)[]): string[] {
  const found = problems.filter((p): p is string => p !== null);
  tally.record(entry, found.length === 0);
  return found.map((problem) => `${label}: ${problem}`);
}

/** The text of an alert's message paragraph (its title stripped), or a problem. */
async function alertMessage(
  alert: ReturnType<Page['getByRole']>,
  title: string,
): Promise<{ message: string } | { problem: string }> {
  try {
    await alert.first().waitFor({ state: 'visible', timeout: 20_000 });
  } catch {
    return { problem: 'no alert shown' };
  }
  const text = (await alert.first().innerText()).trim();
  if (!text.startsWith(title)) return { problem: `the alert says ${text.slice(0, 200)}` };
  const message = text
    .slice(title.length)
    .replace(/\s*Dismiss$/, '')
    .trim();
  return { message };
}

test('links in the page’s URL: each refused in the page with its field, nothing created', async ({
  playground,
  page,
}) => {
  const links = sample(
    hostileLinks(VICTIM).filter(({ input }) => input.startsWith(`#${EXPERIMENT_HASH_KEY}=`)),
    SAMPLE.urlLinks,
    1,
  );
  const failures: string[] = [];
  for (const { label, input } of links) {
    // What the link's validator says here, in Node: the page must show exactly that.
    let expected = 'accepted';
    try {
      decodeExperiment(input);
    } catch (error) {
      expected = `${(error as Error).message} (field: ${(error as ConfigError).field}).`;
    }
    await page.goto('about:blank'); // a new document: the app reads its link once, at start-up
    await playground.open(`/${input}`);
    const notice = page.getByTestId('link-error');
    const shown = await alertMessage(notice, 'The shared link could not be opened');
    const problems: (string | null)[] = [];
    if ('problem' in shown) problems.push(shown.problem);
    else {
      problems.push(messageProblem(shown.message));
      if (!shown.message.includes(expected)) {
        problems.push(`shows ${shown.message.slice(0, 200)}, not ${expected.slice(0, 200)}`);
      }
    }
    problems.push(...(await invariantProblems(playground, [])));
    failures.push(...record('links (URL)', label, problems));
  }
  expect(failures).toEqual([]);
});

test('checkpoint files, .npy files, links, run specs and API call sequences while a run trains', async ({
  playground,
  page,
}) => {
  test.setTimeout(480_000); // about 1.5 min on an idle machine; far more when its two cores are shared
  await playground.open();
  const victimId = await playground.createRun(VICTIM);
  await playground.call('start', victimId);
  await playground.waitForStep(victimId, 2, 60_000);
  const runs = [victimId];
  const failures: string[] = [];
  const before = () => watched(playground, victimId);
  const check = async (entry: string, label: string, answer: (string | null)[], w: Watched) =>
    failures.push(
      ...record(entry, label, [
        ...answer,
        ...(await invariantProblems(playground, runs, { id: victimId, before: w })),
      ]),
    );

  // The victim's own checkpoint: hostile files derived from it reach every check of its model.
  const base = new Uint8Array(
    await page.evaluate(async (id) => {
      const blob = await window.playground.exportCheckpoint(id);
      return [...new Uint8Array(await blob.arrayBuffer())];
    }, victimId),
  );
  const checkpoints = hostileCheckpoints(base);

  // --- checkpoint files, loaded into the training run through its Checkpoint card -------------
  await page.getByLabel('Backend').selectOption('cpu'); // for the files opened as new runs
  await page.getByRole('button', { name: /#1 LSTM/ }).click();
  const card = page.getByRole('region', { name: 'Checkpoint' });
  const intoRun = page.getByLabel('Checkpoint file to load into this run');
  for (const [i, { label, input }] of sample(checkpoints, SAMPLE.checkpointsIntoRun, 2).entries()) {
    const w = await before();
    await intoRun.setInputFiles({
      name: `hostile-${i}.safetensors`,
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(input),
    });
    await expect(card.getByRole('status')).toBeHidden({ timeout: 30_000 });
    const shown = await alertMessage(
      card.getByRole('alert'),
      'The checkpoint was not loaded; the run is unchanged',
    );
    await check(
      'checkpoints (UI)',
      `into the run: ${label}`,
      ['problem' in shown ? shown.problem : messageProblem(shown.message)],
      w,
    );
    await card.getByRole('alert').getByRole('button', { name: 'Dismiss' }).click();
  }

  // --- checkpoint files opened as new runs from the sidebar -----------------------------------
  const library = page.getByRole('region', { name: 'Open a checkpoint' });
  const asNewRun = page.getByLabel('Checkpoint file to open as a new run');
  for (const [i, { label, input }] of sample(
    checkpoints,
    SAMPLE.checkpointsAsNewRun,
    3,
  ).entries()) {
    const w = await before();
    await asNewRun.setInputFiles({
      name: `hostile-new-${i}.safetensors`,
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(input),
    });
    await expect(library.getByRole('status')).toBeHidden({ timeout: 60_000 });
    const shown = await alertMessage(library.getByRole('alert'), 'No run was created');
    await check(
      'checkpoints (UI)',
      `as a new run: ${label}`,
      ['problem' in shown ? shown.problem : messageProblem(shown.message)],
      w,
    );
    await library.getByRole('alert').getByRole('button', { name: 'Dismiss' }).click();
  }

  // --- .npy files through the Data view's file input, and bad options through the API --------
  await page.evaluate(() => window.playground.setView('data'));
  const npyInput = page.getByLabel('Video or .npy files');
  const npy = hostileNpyFiles();
  const failuresShown = page.getByRole('alert').filter({ hasText: 'Import failed' });
  for (const [i, { label, input }] of sample(
    npy.filter((n) => Object.keys(n.input.options).length === 0),
    SAMPLE.npyFiles,
    4,
  ).entries()) {
    const w = await before();
    const name = `hostile-${i}.npy`;
    await npyInput.setInputFiles({
      name,
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(input.bytes),
    });
    const shown = await alertMessage(failuresShown.filter({ hasText: name }), 'Import failed');
    const datasets = await page.evaluate(() => window.playground.listDatasets().length);
    await check(
      '.npy files (UI)',
      label,
      [
        'problem' in shown ? shown.problem : messageProblem(shown.message),
        datasets === 0 ? null : `${datasets} datasets were created`,
      ],
      w,
    );
    await failuresShown.getByRole('button', { name: 'Dismiss' }).first().click();
  }
  const validNpy = [...VALID_NPY];
  for (const { label, input } of sample(
    npy.filter((n) => Object.keys(n.input.options).length > 0),
    SAMPLE.npyOptions,
    5,
  )) {
    const w = await before();
    const refusal = await page.evaluate(
      async ([bytes, options]) => {
        try {
          await window.playground.importNpy(new Blob([new Uint8Array(bytes)]), options as never);
          return null;
        } catch (error) {
          return { name: (error as Error).name, message: (error as Error).message };
        }
      },
      [validNpy, input.options] as const,
    );
    const datasets = await page.evaluate(() => window.playground.listDatasets().length);
    await check(
      '.npy files (API)',
      label,
      [refusalProblem(refusal), datasets === 0 ? null : `${datasets} datasets were created`],
      w,
    );
  }
  await page.evaluate(() => window.playground.setView('run'));

  // --- links through loadExperiment: the link's error shows in the page --------------------
  const notice = page.getByTestId('link-error');
  for (const { label, input } of sample(hostileLinks(VICTIM), SAMPLE.apiLinks, 6)) {
    const w = await before();
    const refusal = await apiCall(page, 'loadExperiment', [input]);
    const shown = await alertMessage(notice, 'The shared link could not be opened');
    await check(
      'links (API)',
      label,
      [refusalProblem(refusal), 'problem' in shown ? shown.problem : messageProblem(shown.message)],
      w,
    );
    await notice.getByRole('button', { name: 'Dismiss' }).click();
  }

  // --- run specs through createRun, for every model ------------------------------------------
  for (const [m, model] of (['lstm', 'vgan', 'rcnn'] as const).entries()) {
    const baseSpec: RunSpec = { model, preset: 'tiny', backend: 'cpu', seed: 1 };
    for (const { label, input } of sample(hostileRunSpecs(baseSpec), SAMPLE.runSpecs, 7 + m)) {
      const w = await before();
      const refusal = await apiCall(page, 'createRun', [input]);
      const problems = [refusalProblem(refusal)];
      if (refusal && refusal.field === undefined) problems.push('no field named');
      await check('run specs (API)', `${model}: ${label}`, problems, w);
    }
  }

  // --- API call sequences during create, restore and dispose ----------------------------------
  const good = [...base];
  const sequences: [string, () => Promise<(string | null)[]>][] = [
    [
      'dispose while the run is being created',
      async () => {
        const answer = await page.evaluate(async (spec) => {
          const api = window.playground;
          const creating = api.createRun(spec).then(
            () => 'created',
            (error: Error) => error.message,
          );
          await api.dispose(api.listRuns().at(-1) as string);
          return creating;
        }, VICTIM);
        return [/was disposed/.test(answer) ? null : `createRun answered ${answer}`];
      },
    ],
    [
      'commands of the wrong type while the run is being created',
      async () => {
        const answers = await page.evaluate(async (spec) => {
          const api = window.playground;
          const creating = api.createRun(spec);
          const id = api.listRuns().at(-1) as string;
          const settle = (p: Promise<unknown>) =>
            p.then(
              () => 'accepted',
              (error: Error) => error.message,
            );
          const answers = await Promise.all([
            settle(api.step(id, '5' as unknown as number)),
            settle(api.setHyperparameters(id, { learningRate: '0.1' } as never)),
            settle(api.chooseExamples(id, [-1])),
          ]);
          await creating;
          await api.dispose(id);
          return answers;
        }, VICTIM);
        const says = [/"5"/, /learningRate .*"0\.1"/, /examples must be/];
        return answers.map((answer, i) =>
          answer === 'accepted'
            ? 'accepted'
            : (messageProblem(answer) ?? (says[i].test(answer) ? null : `answered ${answer}`)),
        );
      },
    ],
    [
      'dispose while a checkpoint is being opened as a new run',
      async () => {
        const answer = await page.evaluate(async (bytes) => {
          const api = window.playground;
          const count = api.listRuns().length;
          const opening = api.importCheckpoint(new Uint8Array(bytes)).then(
            () => 'created',
            (error: Error) => error.message,
          );
          while (api.listRuns().length === count) await new Promise((r) => setTimeout(r, 0));
          await api.dispose(api.listRuns().at(-1) as string);
          return opening;
        }, good);
        return [/was disposed/.test(answer) ? null : `importCheckpoint answered ${answer}`];
      },
    ],
    [
      'a save while a checkpoint is being opened stores the restored step',
      async () => {
        const answer = await page.evaluate(async (bytes) => {
          const api = window.playground;
          const count = api.listRuns().length;
          const opening = api.importCheckpoint(new Uint8Array(bytes));
          while (api.listRuns().length === count) await new Promise((r) => setTimeout(r, 0));
          const id = api.listRuns().at(-1) as string;
          const saved = api.exportCheckpoint(id);
          await opening;
          const blob = await saved;
          const head = new Uint8Array(await blob.arrayBuffer());
          const length = Number(new DataView(head.buffer).getBigUint64(0, true));
          const header = JSON.parse(new TextDecoder().decode(head.subarray(8, 8 + length)));
          const step = [api.getRun(id).step, Number(header.__metadata__.step)];
          await api.dispose(id);
          return step;
        }, good);
        const expected = Number(
          JSON.parse(
            new TextDecoder().decode(
              base.subarray(8, 8 + Number(new DataView(base.buffer).getBigUint64(0, true))),
            ),
          ).__metadata__.step,
        );
        return [
          answer[0] === expected && answer[1] === expected
            ? null
            : `saved step ${answer[1]} of a run at step ${answer[0]}, the file's ${expected}`,
        ];
      },
    ],
    [
      'dispose wakes waitForStep at once',
      async () => {
        const answer = await page.evaluate(async (spec) => {
          const api = window.playground;
          const id = await api.createRun(spec);
          const started = performance.now();
          const waiting = api.waitForStep(id, 1_000_000, 3_600_000).then(
            () => 'resolved',
            (error: Error) => error.message,
          );
          await api.dispose(id);
          return [await waiting, performance.now() - started] as const;
        }, VICTIM);
        return [
          /was disposed/.test(answer[0]) && answer[1] < 5000
            ? null
            : `waitForStep answered ${answer[0]} after ${Math.round(answer[1])} ms`,
        ];
      },
    ],
    [
      'a hostile file loaded into the run while it saves',
      async () => {
        const bad = [...(sample(checkpoints, 1, 11)[0]?.input ?? [])];
        const answer = await page.evaluate(
          async ([id, bytes]) => {
            const api = window.playground;
            const loading = api.importCheckpoint(new Uint8Array(bytes), { into: id }).then(
              () => 'accepted',
              (error: Error) => error.message,
            );
            const saved = await api.exportCheckpoint(id);
            return [await loading, saved.size] as const;
          },
          [victimId, bad] as const,
        );
        return [
          answer[0] === 'accepted' ? 'accepted' : messageProblem(answer[0]),
          answer[1] > 0 ? null : 'the save was empty',
        ];
      },
    ],
  ];
  // Single calls with arguments of the wrong kind: each refusal says what was wrong.
  const calls: [string, string, unknown[], RegExp][] = [
    ['an unknown run', 'start', ['run-999'], /^Unknown run "run-999"$/],
    ['a run id "__proto__"', 'step', ['__proto__', 1], /^Unknown run "__proto__"$/],
    ['a run id that is an object', 'getRun', [{ id: victimId }], /^Unknown run an object/],
    ['dispose of an unknown run', 'dispose', ['run-998'], /^Unknown run "run-998"$/],
    ['a step count as text', 'step', [victimId, '5'], /integer \(got the string "5"\)$/],
    ['a negative step count', 'step', [victimId, -1], /positive integer \(got -1\)$/],
    [
      'a learning rate as text',
      'setHyperparameters',
      [victimId, { learningRate: '0.1' }],
      /^learningRate must be a number \(got the string "0\.1"\)$/,
    ],
    [
      'a NaN learning rate',
      'setHyperparameters',
      [victimId, { learningRate: NaN }],
      /^learningRate must be a finite number \(got NaN\)$/,
    ],
    [
      'an unknown hyperparameter',
      'setHyperparameters',
      [victimId, { noSuch: 1 }],
      /^Unknown hyperparameter "noSuch"/,
    ],
    [
      'hyperparameters as text',
      'setHyperparameters',
      [victimId, 'fast'],
      /^hyperparameters must be an object .*\(got the string "fast"\)$/,
    ],
    [
      'examples out of range',
      'chooseExamples',
      [victimId, [1e9]],
      /^examples must be .*1000000000/,
    ],
    ['examples as text', 'chooseExamples', [victimId, 'first'], /^examples must be .*"first"/],
    ['waitForStep to step -1', 'waitForStep', [victimId, -1], /^step must be .*\(got -1\)$/],
    ['waitForStep to step "5"', 'waitForStep', [victimId, '5'], /^step must be .*"5"\)$/],
    [
      'waitForStep with a NaN timeout',
      'waitForStep',
      [victimId, 1e6, NaN],
      /^timeoutMs must be .*\(got NaN\)$/,
    ],
    ['an unknown example', 'openExample', ['no-such-example'], /no example .*"no-such-example"/],
    [
      'an unknown stored checkpoint',
      'loadCheckpoint',
      ['no-such-checkpoint'],
      /^No checkpoint "no-such-checkpoint"/,
    ],
    [
      'a checkpoint that is text',
      'importCheckpoint',
      ['not a file'],
      /^A checkpoint must be a File, .* \(got the string "not a file"\)$/,
    ],
    ['comparing an unknown run', 'compare', [['run-997']], /^Unknown run "run-997"$/],
  ];
  for (const [label, method, args, says] of calls) {
    sequences.push([
      `${method}: ${label}`,
      async () => {
        const refusal = await apiCall(page, method, args);
        const named = refusal && says.test(refusal.message) ? null : `not ${String(says)}`;
        return [refusalProblem(refusal), refusal ? named : null];
      },
    ]);
  }
  for (const [label, sequence] of sequences) {
    const w = await before();
    await check('API call sequences', label, await sequence(), w);
  }

  // No state lost: the run trained on through all of it.
  const last = await before();
  await playground.waitForStep(victimId, last.step + 2, 60_000);
  expect((await playground.getRun(victimId)).error).toBeNull();
  expect(playground.logs.filter((line) => line.startsWith('pageerror'))).toEqual([]);
  expect(failures).toEqual([]);
});
