import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/index.ts';
import { DEFAULT_SETTINGS, loadSettings, saveSettings } from './settings.ts';
import { tempDbPath } from './test-support/harness.ts';

let open: Store[] = [];
afterEach(() => {
  for (const store of open) store.close();
  open = [];
});

function fresh(): Store {
  const store = openStore(tempDbPath());
  open.push(store);
  return store;
}

describe('settings: the no-app action', () => {
  it('blocks by default', () => {
    expect(loadSettings(fresh()).noAppAction).toBe('block');
  });

  it('settings saved before the no-app action existed keep every value, with the default for it', () => {
    const store = fresh();
    const older: Record<string, unknown> = { ...DEFAULT_SETTINGS, holdTimeoutSeconds: 12, defaultAction: 'drop' };
    delete older['noAppAction'];
    store.settings.set('app-settings', older as Record<string, string | number | boolean>);
    expect(loadSettings(store)).toEqual({ ...DEFAULT_SETTINGS, holdTimeoutSeconds: 12, defaultAction: 'drop' });
  });

  it('a change of another setting keeps the no-app action the user chose', () => {
    const store = fresh();
    saveSettings(store, { noAppAction: 'allow' });
    expect(saveSettings(store, { holdTimeoutSeconds: 5 })).toMatchObject({
      noAppAction: 'allow',
      holdTimeoutSeconds: 5,
    });
    expect(loadSettings(store).noAppAction).toBe('allow');
  });
});

describe('settings: update checks', () => {
  it('settings saved before the choice existed keep every value, with checks on', () => {
    const store = fresh();
    const older: Record<string, unknown> = { ...DEFAULT_SETTINGS, startAtLogin: true, noAppAction: 'drop' };
    delete older['checkForUpdates'];
    store.settings.set('app-settings', older as Record<string, string | number | boolean>);
    expect(loadSettings(store)).toEqual({ ...DEFAULT_SETTINGS, startAtLogin: true, noAppAction: 'drop' });
  });

  it('turned off, stays off across a change of another setting and a reopening', () => {
    const path = tempDbPath();
    const store = openStore(path);
    saveSettings(store, { checkForUpdates: false });
    saveSettings(store, { startAtLogin: true });
    store.close();
    const again = openStore(path);
    open.push(again);
    expect(loadSettings(again)).toMatchObject({ checkForUpdates: false, startAtLogin: true });
  });
});
