/**
 * The UI as a user drives it, through accessible names only: the config editor rejects bad values
 * naming the field, the paper preset warns about its memory, a run is created, stepped from the
 * keyboard, given a new learning rate, evaluated and removed. Uses the CPU backend: this test is
 * about the UI, the WebGPU path has its own test.
 */
import { expect, test } from './fixtures';

test('a run driven from the UI: validation, memory warning, keyboard, live learning rate, evaluation', async ({
  playground,
  page,
}) => {
  await playground.open();
  await expect(
    page.getByRole('heading', { name: 'Train a video model in your browser' }),
  ).toBeVisible();
  await page.screenshot({ path: 'test-results/ui-empty.png', fullPage: true });

  const create = page.getByRole('button', { name: 'Create', exact: true });
  await expect(page.getByLabel('Model', { exact: true })).toHaveValue('lstm');
  await expect(page.getByRole('radio', { name: /Tiny/ })).toBeChecked();

  // An invalid config value gets a message naming the field and blocks creation.
  await page.getByText('Model config').click();
  const hiddenUnits = page.getByLabel(/Hidden units/);
  await hiddenUnits.fill('-5');
  await expect(page.getByText(/hiddenUnits must be between 1 and 4096/)).toBeVisible();
  await expect(create).toBeDisabled();
  await hiddenUnits.fill('32');
  await expect(create).toBeEnabled();

  // The paper preset states its memory and needs an explicit confirmation.
  await page.getByRole('radio', { name: /Paper \(1 layer\)/ }).check();
  await expect(page.getByText(/Estimated GPU memory per training step/)).toContainText('GB');
  await expect(create).toBeDisabled();
  const confirm = page.getByRole('checkbox', { name: /I understand, create it anyway/ });
  await confirm.check();
  await expect(create).toBeEnabled();
  await page.getByRole('radio', { name: /Tiny/ }).check();

  await page.getByLabel('Backend').selectOption('cpu');
  await create.click();
  await expect(page.getByText('Ready', { exact: true }).first()).toBeVisible({ timeout: 60_000 });
  const [id] = await page.evaluate(() => window.playground.listRuns());
  expect((await playground.getRun(id)).backend).toBe('cpu');
  await expect(page.getByTestId('backend-badge')).toContainText('CPU', { ignoreCase: true });

  // Step with the button, then with the keyboard shortcut: N works while a button has focus
  // (only fields keep letters to themselves); Space on a focused button presses that button.
  const stepButton = page.getByRole('button', { name: 'Step: train one step' });
  await stepButton.click();
  await playground.waitForStep(id, 1, 30_000);
  await stepButton.focus();
  await page.keyboard.press('n');
  await playground.waitForStep(id, 2, 30_000);
  await page.locator('body').click({ position: { x: 5, y: 500 } });

  // Space starts (once the step has finished), the Pause button stops, and the step count holds.
  await expect(page.getByRole('button', { name: /^(Start|Resume)$/ })).toBeEnabled();
  await page.keyboard.press(' ');
  await playground.waitForStep(id, 6, 60_000);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByRole('button', { name: 'Resume' })).toBeVisible();
  const pausedAt = (await playground.getRun(id)).step;
  await page.waitForTimeout(1_500);
  expect((await playground.getRun(id)).step).toBe(pausedAt);

  // A live learning-rate change (the section starts folded): rejected when invalid, applied when valid.
  await page.getByText('Hyperparameters and shortcuts').click();
  const learningRate = page.getByRole('textbox', { name: /^Learning rate \(now/ });
  await learningRate.fill('-1');
  await expect(page.getByText(/Learning rate must be positive/)).toBeVisible();
  await learningRate.fill('0.0005');
  await page.getByRole('button', { name: 'Apply learning rate' }).click();
  await expect(page.getByText(/Learning rate set to 5e-4/)).toBeVisible();
  expect((await playground.getRun(id)).hyperparameters.learningRate).toBeCloseTo(0.0005);

  // Evaluation on the held-out set fills the metrics table and the per-frame chart.
  await page.getByRole('button', { name: 'Evaluate now' }).click();
  const evaluation = page.getByRole('region', { name: 'Evaluation' });
  await expect(evaluation.getByRole('table')).toBeVisible({ timeout: 60_000 });
  await expect(evaluation.getByRole('table')).toContainText('Copy-last-frame baseline');
  await expect(evaluation.getByText('Per predicted frame')).toBeVisible();
  await page.screenshot({ path: 'test-results/ui-evaluated.png', fullPage: true });

  await page.getByRole('button', { name: 'Remove run' }).click();
  await expect(
    page.getByRole('heading', { name: 'Train a video model in your browser' }),
  ).toBeVisible();
  expect(await page.evaluate(() => window.playground.listRuns())).toEqual([]);
});
