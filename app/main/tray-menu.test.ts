import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import type { RuleAction } from '../contract/rules.ts';
import { OK_STATUS } from '../headless/test-support/status-handlers.ts';
import { type TrayActions, trayMenu } from './tray-menu.ts';

function actions(current: RuleAction, chosen: RuleAction[]): TrayActions {
  const none = (): void => undefined;
  return {
    openMain: none,
    openPrompts: none,
    pause: none,
    setMode: none,
    startAtLogin: none,
    isStartAtLogin: () => false,
    noAppAction: () => current,
    setNoAppAction: (action) => chosen.push(action),
    quit: none,
  };
}

function noAppSubmenu(menu: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  const item = menu.find((entry) => entry.label === 'While ZenithFence is closed');
  if (!Array.isArray(item?.submenu)) throw new Error('no submenu for the no-app action');
  return item.submenu;
}

describe('trayMenu: the no-app action', () => {
  it('says the consequence of the current choice in one sentence, and whether the driver enforces the rules', () => {
    const submenu = noAppSubmenu(trayMenu(OK_STATUS, actions('block', []), 0, String));
    expect(submenu[0]).toEqual({
      label: 'While ZenithFence is closed, connections no rule covers are blocked (programs see a refusal).',
      enabled: false,
    });
    expect(submenu.at(-1)).toEqual({ label: OK_STATUS.policy.message, enabled: false });
    const drop = noAppSubmenu(trayMenu(OK_STATUS, actions('drop', []), 0, String));
    expect(drop[0]?.label).toBe(
      'While ZenithFence is closed, connections no rule covers are dropped (programs see a timeout).',
    );
  });

  it('checks the current choice, and a click chooses another', () => {
    const chosen: RuleAction[] = [];
    const radios = noAppSubmenu(trayMenu(OK_STATUS, actions('drop', chosen), 0, String)).filter(
      (item) => item.type === 'radio',
    );
    expect(radios.map((item) => [item.label, item.checked])).toEqual([
      ['Block (programs see a refusal)', false],
      ['Drop (programs see a timeout)', true],
      ['Allow', false],
    ]);
    const allow = radios[2]?.click;
    if (allow === undefined) throw new Error('no click handler');
    allow({} as never, undefined, {} as never);
    expect(chosen).toEqual(['allow']);
  });
});
