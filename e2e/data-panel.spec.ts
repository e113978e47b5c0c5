/**
 * The Data view as a user drives it, through accessible names: the empty state, an import with
 * progress that is cancelled, a dataset with its facts, thumbnails and clip preview, an error that
 * names the file, and a run created on the dataset from the New run form. Screenshots of each
 * state go to test-results/.
 */
import { FIXTURES } from './data-helpers';
import { expect, test } from './fixtures';

test('Data view: import with progress and cancel, a dataset, an error, and a run on it', async ({
  playground,
  page,
}) => {
  await playground.open();
  await page.getByRole('button', { name: 'Data', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Data', exact: true })).toBeVisible();
  await expect(page.getByText(/No datasets yet/)).toBeVisible();
  await page.screenshot({ path: 'test-results/data-empty.png', fullPage: true });

  const files = page.getByLabel('Video or .npy files');
  const width = page.getByLabel('Width (px)');
  const height = page.getByLabel('Height (px)');

  // A big import (720p to 768×768 gray at 240 fps: 480 frames) shows progress and can be cancelled.
  await width.fill('768');
  await height.fill('768');
  await page.getByRole('button', { name: 'Gray' }).first().click();
  await page.getByLabel('Frame rate (fps)').fill('240');
  await files.setInputFiles(`${FIXTURES}/bench-720p.mp4`);
  const progress = page.getByRole('progressbar', { name: 'Importing bench-720p.mp4' });
  await expect(progress).toBeVisible();
  await expect(page.getByText(/Decoded frame \d+ of 480/)).toBeVisible();
  await page.screenshot({ path: 'test-results/data-importing.png', fullPage: true });
  await page.getByRole('button', { name: 'Cancel import of bench-720p.mp4' }).click();
  await expect(progress).toBeHidden();
  expect(await page.evaluate(() => window.playground.listDatasets())).toEqual([]);

  // A small clip becomes a dataset with its facts, thumbnails and clips.
  await width.fill('64');
  await height.fill('48');
  await page.getByRole('button', { name: 'RGB' }).first().click();
  await page.getByLabel('Frame rate (fps)').fill('');
  await page.getByText('More options').click();
  await page.getByLabel('Clip length (frames)').fill('8');
  await files.setInputFiles(`${FIXTURES}/h264.mp4`);
  const card = page.getByRole('article', { name: 'Dataset h264.mp4' });
  await expect(card).toBeVisible();
  await expect(card).toContainText('20');
  await expect(card).toContainText('64×48 RGB');
  await expect(card).toContainText('2.0 s at 10 fps');
  await expect(card).toContainText('H.264');
  await expect(card).toContainText('1 training, 1 held out');
  await expect(card.getByRole('img', { name: /thumbnails of h264\.mp4/ })).toBeVisible();
  await expect(card.getByRole('img', { name: /Training clip 1 of 1: 8 frames/ })).toBeVisible();
  await expect(card.getByRole('img', { name: /Held-out clip 1 of 1: 8 frames/ })).toBeVisible();
  // The preview at a model's size and colour redraws the clip at 32×32 gray.
  await card.getByRole('button', { name: '32×32' }).click();
  await card.getByRole('button', { name: 'Gray' }).click();
  const clip = card.getByRole('img', { name: /Training clip 1 of 1/ });
  expect(await clip.evaluate((canvas) => (canvas as HTMLCanvasElement).height)).toBe(32);
  await page.screenshot({ path: 'test-results/data-dataset.png', fullPage: true });

  // An error names the file and the reason, and the dataset stays.
  await files.setInputFiles(`${FIXTURES}/notes.mp4`);
  const alert = page.getByRole('alert').filter({ hasText: '"notes.mp4" is not a video file' });
  await expect(alert).toBeVisible();
  await expect(card).toBeVisible();
  await page.screenshot({ path: 'test-results/data-error.png', fullPage: true });
  await alert.getByRole('button', { name: 'Dismiss' }).click();
  await expect(alert).toBeHidden();

  // The New run form trains on the imported dataset.
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByText('Data: Moving MNIST').click();
  await page.getByRole('button', { name: 'Imported dataset' }).click();
  const [dataset] = await page.evaluate(() => window.playground.listDatasets());
  await expect(page.getByLabel('Dataset', { exact: true })).toHaveValue(dataset.id);
  await page
    .locator('details', { hasText: 'Data: imported dataset' })
    .screenshot({ path: 'test-results/data-new-run.png' });
  await page.getByLabel('Backend').selectOption('cpu');
  await page.getByRole('radio', { name: /Tiny/ }).check();
  // LSTM tiny needs 20-frame clips: 20 frames cannot give a training and a held-out clip.
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  const newRun = page.getByRole('region', { name: 'New run' });
  await expect(newRun.getByRole('alert').filter({ hasText: /too short for one clip/ })).toBeVisible(
    {
      timeout: 60_000,
    },
  );
  await page.getByLabel('Model', { exact: true }).selectOption('vgan');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page.getByText('Ready', { exact: true }).first()).toBeVisible({ timeout: 120_000 });
  const runs = await page.evaluate(() => window.playground.listRuns());
  const run = await playground.getRun(runs[runs.length - 1]);
  expect(run.model).toBe('vgan');
  expect(run.status).toBe('ready');
});
