import { expect, test } from '@playwright/test';
import { APP_NAME } from '../app/contract/product.ts';
import { RENDERER_ORIGIN, serveBuiltRenderer } from './fixtures/renderer-origin.ts';

test('the built renderer opens in Chromium with the product title', async ({ context, page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await serveBuiltRenderer(context);
  await page.goto(`${RENDERER_ORIGIN}/`);
  await expect(page).toHaveTitle(APP_NAME);
  await expect(page.getByRole('heading', { name: APP_NAME })).toBeVisible();
  expect(errors).toEqual([]);
});
