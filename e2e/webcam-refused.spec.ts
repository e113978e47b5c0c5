/**
 * A refused camera permission in the Data view: Chromium's fake camera exists, but its permission
 * prompt is denied; the webcam card says so and how to allow it, and nothing is recorded.
 */
import { expect, test } from './fixtures';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium-flags.mjs';

test.use({
  launchOptions: {
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--deny-permission-prompts'],
  },
});

test('a refused camera permission says so and how to allow it', async ({ page, playground }) => {
  await playground.open('/');
  await page.getByRole('button', { name: 'Data', exact: true }).click();
  const card = page.getByRole('region', { name: 'Webcam clips' });
  await card.getByRole('button', { name: 'Turn camera on' }).click();
  const alert = card.getByRole('alert');
  await expect(alert).toContainText('Camera permission was refused');
  await expect(alert).toContainText('Allow the camera for this page');
  await expect(card.getByRole('button', { name: 'Turn camera on' })).toBeEnabled();
  await expect(card.getByLabel('Camera preview')).toHaveCount(0);
  expect(await page.evaluate(() => window.playground.listDatasets())).toEqual([]);
  await page.setViewportSize({ width: 390, height: 844 });
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/webcam-refused-390.png' });
});
