import { describe, expect, it } from 'vitest';
import type { DriverState } from '../contract/views.ts';
import { ALERT_INTERVAL_MS, DriverAlerts, UNREACHABLE_AFTER_MS } from './driver-alerts.ts';

type Step = readonly [DriverState, string, number];

/** Feeds the states in order and returns the kinds of the notifications they gave. */
function kinds(alerts: DriverAlerts, steps: readonly Step[]): string[] {
  return steps.flatMap(([state, message, at]) => {
    const alert = alerts.update(state, message, at);
    return alert === null ? [] : [alert.kind];
  });
}

describe('DriverAlerts', () => {
  it('says a lost link once, not at every reconnect attempt, and nothing when it comes back', () => {
    const alerts = new DriverAlerts(0);
    expect(alerts.update('connected', 'driver 2.1', 100)).toBeNull();
    const lost = alerts.update('reconnecting', 'the driver ended the connection', 5_000);
    expect(lost).toEqual({
      kind: 'lost',
      title: 'ZenithFence lost its driver',
      body: 'The driver ended the connection. It reconnects by itself; until then the driver decides new connections on its own.',
    });
    const attempts: Step[] = Array.from({ length: 50 }, (_, i) => ['reconnecting', 'ECONNREFUSED', 6_000 + i * 5_000]);
    expect(kinds(alerts, attempts)).toEqual([]);
    expect(alerts.update('connected', 'driver 2.1', 300_000)).toBeNull();
  });

  it('rate-limits a driver that flaps: one notification per kind per interval', () => {
    const alerts = new DriverAlerts(0);
    const flaps: Step[] = [];
    for (let i = 0; i < 10; i += 1) {
      flaps.push(['connected', 'up', i * 60_000], ['reconnecting', 'down', i * 60_000 + 1_000]);
    }
    expect(kinds(alerts, flaps)).toEqual(['lost']);
    expect(
      kinds(alerts, [
        ['connected', 'up', ALERT_INTERVAL_MS + 2_000],
        ['reconnecting', 'down', ALERT_INTERVAL_MS + 3_000],
      ]),
    ).toEqual(['lost']);
  });

  it('says a refusal once, with the advice the session gives', () => {
    const alerts = new DriverAlerts(0);
    const message =
      'ZenithFence must run as Administrator to open the driver. ZenithFence stopped trying to connect: restart it once this is done.';
    const failed = alerts.update('failed', message, 10);
    expect(failed).toEqual({ kind: 'failed', title: 'ZenithFence cannot use its driver', body: message });
    expect(alerts.update('failed', message, 20)).toBeNull();
    // A failed install comes after 'installing'; a link lost before it was up is not a 'lost'.
    const install = new DriverAlerts(0);
    expect(
      kinds(install, [
        ['installing', 'installing the driver service', 10],
        ['failed', 'install failed', 20],
      ]),
    ).toEqual(['failed']);
  });

  it('a link lost into a reinstall is a loss too', () => {
    const alerts = new DriverAlerts(0);
    expect(
      kinds(alerts, [
        ['connected', 'up', 1],
        ['installing', 'starting the driver service', 2],
        ['reconnecting', 'x', 3],
      ]),
    ).toEqual(['lost']);
  });

  it('never speaks of our own stop', () => {
    const alerts = new DriverAlerts(0);
    expect(
      kinds(alerts, [
        ['connected', 'up', 1],
        ['disconnected', 'stopped', 2],
      ]),
    ).toEqual([]);
  });

  it('says once that the driver was never reached, after a grace period for a daemon that starts late', () => {
    const alerts = new DriverAlerts(1_000);
    const tries: Step[] = Array.from({ length: 20 }, (_, i) => [
      'reconnecting',
      'no daemon at /run/zenithfence.sock',
      1_000 + i * 5_000,
    ]);
    const said = tries.map(([state, message, at]) => alerts.update(state, message, at)).filter((a) => a !== null);
    expect(said).toEqual([
      {
        kind: 'unreachable',
        title: 'ZenithFence is not connected to its driver',
        body: 'No daemon at /run/zenithfence.sock. It keeps trying; connections are not asked about until it connects.',
      },
    ]);
    // A daemon that comes up within the grace period is never mentioned.
    const late = new DriverAlerts(0);
    expect(
      kinds(late, [
        ['reconnecting', 'no daemon', UNREACHABLE_AFTER_MS - 1],
        ['connected', 'up', UNREACHABLE_AFTER_MS + 1],
      ]),
    ).toEqual([]);
  });
});
