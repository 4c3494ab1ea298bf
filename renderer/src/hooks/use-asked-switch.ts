import { useState } from 'react';

/** A value the user asked for, and of what (a switch may change what it stands for). */
interface Asked {
  readonly of: string;
  readonly on: boolean;
}

/** What a switch the engine decides shows, and how a click asks for a change. */
export interface AskedSwitch {
  readonly on: boolean;
  /** Shows `on` at once and calls `send`; the engine's value shows again once `send` settles. */
  ask(on: boolean, send: () => Promise<unknown>): void;
}

/**
 * A switch whose value is the engine's (`current`, for the thing named `of`): a click shows at
 * once, instead of after the round trip (a switch that waits for it looks like it missed the
 * click), and the engine's answer shows when it is in, also when it refused. What was asked for
 * one thing never shows for another, should the switch stand for another meanwhile.
 */
export function useAskedSwitch(of: string, current: boolean): AskedSwitch {
  const [asked, setAsked] = useState<Asked | null>(null);
  return {
    on: asked !== null && asked.of === of ? asked.on : current,
    ask(on, send) {
      const wanted: Asked = { of, on };
      setAsked(wanted);
      void send().finally(() => setAsked((latest) => (latest === wanted ? null : latest)));
    },
  };
}
