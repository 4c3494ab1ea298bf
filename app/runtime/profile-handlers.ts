import { HandlerError, type Handlers } from '../contract/dispatch.ts';
import type { RequestChannel } from '../contract/ipc.ts';
import type { ProfileError } from '../engine/profiles.ts';
import { withAfter } from './after-request.ts';
import type { Runtime } from './runtime.ts';

type ProfileChannel = Extract<RequestChannel, `profiles:${string}` | `networks:${string}`>;

const REFUSAL: Readonly<Record<ProfileError, { code: 'not-found' | 'bad-request' | 'conflict'; text: string }>> = {
  'unknown-profile': { code: 'not-found', text: 'there is no such profile' },
  'unknown-network': { code: 'not-found', text: 'there is no such network' },
  'built-in': { code: 'bad-request', text: 'Home, Public and Work can be changed but not deleted' },
  'too-many-profiles': { code: 'conflict', text: 'there are as many profiles as ZenithFence keeps (32)' },
};

function refused(error: ProfileError): never {
  const { code, text } = REFUSAL[error];
  throw new HandlerError(code, text);
}

/**
 * The profile and network channels (app/contract/profiles.ts). Every change goes through the
 * engine, which saves the profiles; then the runtime sends the driver the policy of the profile
 * now active and pushes the status (the tray and the status bar show the profile).
 */
export function createProfileHandlers(runtime: Runtime, clock: () => number): Pick<Handlers, ProfileChannel> {
  const { engine } = runtime;
  const changing = withAfter(clock, (now) => {
    runtime.profilesChanged(now);
    runtime.pushPromptChanges(now);
  });
  return {
    'profiles:list': () => engine.listProfiles(),
    'profiles:status': () => engine.profileStatus(),
    'profiles:create': changing((input, now) => {
      const result = engine.createProfile(input, now);
      return result.ok ? result.profile : refused(result.error);
    }),
    'profiles:update': changing(({ id, patch }, now) => {
      const result = engine.updateProfile(id, patch, now);
      return result.ok ? result.profile : refused(result.error);
    }),
    'profiles:delete': changing(({ id }, now) => {
      const result = engine.deleteProfile(id, now, (writes) => runtime.store.transaction(writes));
      return result.ok ? { deleted: true, rulesDeleted: result.rulesDeleted } : refused(result.error);
    }),
    'profiles:activate': changing(({ id, pin }, now) => {
      const result = engine.activateProfile(id, pin, now);
      return result.ok ? engine.profileStatus() : refused(result.error);
    }),
    'profiles:unpin': changing((_payload: undefined, now) => {
      engine.unpinProfile(now);
      return engine.profileStatus();
    }),
    'networks:list': () => engine.listNetworks(),
    'networks:assign': changing(({ key, profileId }, now) => {
      const result = engine.assignNetwork(key, profileId, now);
      return result.ok ? engine.profileStatus() : refused(result.error);
    }),
    'networks:forget': changing(({ key }, now) => ({ forgotten: engine.forgetNetwork(key, now) })),
  };
}
