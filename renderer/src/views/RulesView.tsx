import { useEffect, useMemo, useRef, useState } from 'react';
import type { Rule } from '../../../app/contract/rules.ts';
import { AppAvatar } from '../components/AppAvatar.tsx';
import { Icon } from '../components/Icon.tsx';
import { SearchBox } from '../components/SearchBox.tsx';
import { ViewHeader } from '../components/ViewHeader.tsx';
import { useAskedSwitch } from '../hooks/use-asked-switch.ts';
import { usePoll } from '../hooks/use-poll.ts';
import { appName, directionLabel, formatAgo, formatCount, plural } from '../lib/format.ts';
import { profileName } from '../lib/profile-text.ts';
import { ruleFileSizeProblem } from '../lib/rule-file-size.ts';
import {
  describeApp,
  describeDestination,
  describeDuration,
  describePort,
  describeProtocol,
  EMPTY_RULE_FORM,
  ruleMatchesSearch,
  ruleToForm,
} from '../lib/rule-form.ts';
import { type ProfileFilter, ruleInProfileFilter, ruleProfile } from '../lib/rule-profile.ts';
import { visibleText } from '../lib/visible-text.ts';
import { deleteRule, exportRules, importRules, updateRule } from '../store/commands.ts';
import { useAppStore } from '../store/store.ts';
import { reloadRules } from '../store/sync.ts';
import { COMMON, COUNTED } from '../strings/common-strings.ts';
import { IMPORT } from '../strings/import-strings.ts';
import { RULES } from '../strings/rules-strings.ts';
import { BlocklistGroup } from './rules/BlocklistGroup.tsx';
import { ProfileFilterSelect } from './rules/ProfileFilterSelect.tsx';
import { ImportDialog } from './rules-import/ImportDialog.tsx';

function DeleteButton({ rule }: { readonly rule: Rule }): React.JSX.Element {
  const [armed, setArmed] = useState(false);
  useEffect(() => {
    if (!armed) return;
    const timer = setTimeout(() => setArmed(false), 4000);
    return () => clearTimeout(timer);
  }, [armed]);
  return (
    <button
      type="button"
      className={`icon-button ${armed ? 'is-armed' : ''}`}
      aria-label={armed ? RULES.confirmDelete : RULES.delete}
      title={armed ? RULES.clickAgainToDelete : RULES.delete}
      onClick={() => (armed ? void deleteRule(rule.id) : setArmed(true))}
    >
      <Icon name="trash" size={15} />
      {armed ? <span className="armed-text">{RULES.deleteArmed}</span> : null}
    </button>
  );
}

/** "Always", or the name of the one profile the rule applies in (a tag). */
function ProfileCell({ rule }: { readonly rule: Rule }): React.JSX.Element {
  const profiles = useAppStore((s) => s.profiles);
  const id = ruleProfile(rule);
  if (id === null) return <td className="muted">{profileName(profiles, id)}</td>;
  return (
    <td>
      <span className="pill pill-profile">{profileName(profiles, id)}</span>
    </td>
  );
}

function RuleRow({ rule, now }: { readonly rule: Rule; readonly now: number }): React.JSX.Element {
  const openEditor = useAppStore((s) => s.openRuleEditor);
  const expired = rule.expiresAt !== null && rule.expiresAt < now;
  // Follows a click at once, the engine's answer when it is in (use-asked-switch.ts).
  const enabled = useAskedSwitch(rule.id, rule.enabled);
  return (
    <tr className={rule.enabled && !expired ? undefined : 'is-disabled'}>
      <td>
        <label className="switch">
          <input
            type="checkbox"
            role="switch"
            aria-label={RULES.enabled}
            checked={enabled.on}
            onChange={(event) => {
              const on = event.target.checked;
              enabled.ask(on, () => updateRule(rule.id, { enabled: on }));
            }}
          />
          <span className="switch-track" aria-hidden="true" />
        </label>
      </td>
      <td title={rule.app.kind === 'path' ? visibleText(rule.app.path) : RULES.anyApp}>
        <span className="cell-app">
          {rule.app.kind === 'path' ? (
            <AppAvatar label={rule.app.path} />
          ) : (
            <span className="app-avatar app-avatar-small app-avatar-all" aria-hidden="true">
              {RULES.anyAppMark}
            </span>
          )}
          <span className="truncate">{describeApp(rule.app)}</span>
        </span>
      </td>
      <td className="mono cut" title={describeDestination(rule.destination)}>
        {describeDestination(rule.destination)}
      </td>
      <td className="num">{describePort(rule.port)}</td>
      <td>{describeProtocol(rule.protocol)}</td>
      <td>{directionLabel(rule.direction)}</td>
      <td>
        <span className={`pill pill-${rule.action === 'allow' ? 'allowed' : 'blocked'}`}>
          {RULES.actions[rule.action]}
        </span>
      </td>
      <td>{expired ? RULES.expired : describeDuration(rule.duration)}</td>
      <td className="num">{formatCount(rule.hitCount)}</td>
      <td className="num muted">{formatAgo(rule.lastHitAt, now)}</td>
      <ProfileCell rule={rule} />
      <td className="row-buttons">
        <button
          type="button"
          className="icon-button"
          aria-label={RULES.edit}
          title={RULES.edit}
          onClick={() => openEditor({ ruleId: rule.id, form: ruleToForm(rule), origin: 'rules' })}
        >
          <Icon name="edit" size={15} />
        </button>
        <DeleteButton rule={rule} />
      </td>
    </tr>
  );
}

function download(text: string, name: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = name;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Every rule: search, enable or disable, edit, delete, import and export; hit counts. */
export function RulesView(): React.JSX.Element {
  const rules = useAppStore((s) => s.rules);
  const openEditor = useAppStore((s) => s.openRuleEditor);
  const addToast = useAppStore((s) => s.addToast);
  const [search, setSearch] = useState('');
  const [chosenFilter, setProfileFilter] = useState<ProfileFilter>({ kind: 'all' });
  const profiles = useAppStore((s) => s.profiles);
  // A profile deleted while chosen leaves nothing to show: every rule then.
  const profileFilter = useMemo<ProfileFilter>(
    () =>
      chosenFilter.kind === 'profile' && !profiles.some((p) => p.id === chosenFilter.id)
        ? { kind: 'all' }
        : chosenFilter,
    [chosenFilter, profiles],
  );
  const [importing, setImporting] = useState(false);
  const [now, setNow] = useState(() => Date.now());
  const fileRef = useRef<HTMLInputElement>(null);
  usePoll(() => {
    void reloadRules();
    setNow(Date.now());
  }, 3000);
  const visible = useMemo(
    () =>
      rules
        .filter((rule) => ruleInProfileFilter(rule, profileFilter) && ruleMatchesSearch(rule, search))
        .sort((a, b) => {
          const an = a.app.kind === 'path' ? appName(a.app.path) : '';
          const bn = b.app.kind === 'path' ? appName(b.app.path) : '';
          return an.localeCompare(bn) || a.createdAt - b.createdAt;
        }),
    [rules, search, profileFilter],
  );
  const enabled = rules.filter((r) => r.enabled).length;

  return (
    <section className="view view-fill" aria-label={RULES.title}>
      <ViewHeader
        title={RULES.title}
        subtitle={RULES.subtitle(plural(rules.length, COUNTED.rule), formatCount(enabled))}
      >
        <label className="button button-ghost file-button">
          <Icon name="upload" size={15} />
          {RULES.import}
          <input
            ref={fileRef}
            type="file"
            accept=".json,application/json,text/plain"
            aria-label={RULES.importRules}
            className="sr-only"
            onChange={(event) => {
              const file = event.target.files?.[0];
              event.target.value = '';
              if (file === undefined) return;
              // Refused here, before reading or sending: the contract would refuse it anyway.
              const tooBig = ruleFileSizeProblem(file.size);
              if (tooBig !== null) return addToast('error', RULES.importFailed(tooBig));
              void file.text().then((text) => importRules(text));
            }}
          />
        </label>
        <button type="button" className="button button-ghost" onClick={() => setImporting(true)}>
          <Icon name="upload" size={15} />
          {IMPORT.open}
        </button>
        <button
          type="button"
          className="button button-ghost"
          onClick={() => {
            void exportRules().then((text) => {
              if (text !== null) download(text, RULES.exportFileName);
            });
          }}
        >
          <Icon name="download" size={15} />
          {RULES.export}
        </button>
        <button
          type="button"
          className="button button-primary"
          onClick={() =>
            openEditor({
              ruleId: null,
              // Looking at one profile's rules, a new rule is one of them.
              form: { ...EMPTY_RULE_FORM, profile: profileFilter.kind === 'profile' ? profileFilter.id : '' },
              origin: 'rules',
            })
          }
        >
          <Icon name="plus" size={15} />
          {RULES.newRule}
        </button>
      </ViewHeader>
      <div className="toolbar">
        <SearchBox label={RULES.search} placeholder={RULES.searchPlaceholder} value={search} onChange={setSearch} />
        <ProfileFilterSelect value={profileFilter} onChange={setProfileFilter} />
        <span className="toolbar-count">
          {visible.length === rules.length ? '' : COMMON.shown(formatCount(visible.length))}
        </span>
      </div>
      <div className="card card-flush table-card">
        <table className="plain-table rules-table" aria-label={RULES.title}>
          <thead>
            <tr>
              <th scope="col">{RULES.columns.enabled}</th>
              <th scope="col">{RULES.columns.app}</th>
              <th scope="col">{RULES.columns.destination}</th>
              <th scope="col" className="num">
                {RULES.columns.port}
              </th>
              <th scope="col">{RULES.columns.protocol}</th>
              <th scope="col">{RULES.columns.direction}</th>
              <th scope="col">{RULES.columns.action}</th>
              <th scope="col">{RULES.columns.duration}</th>
              <th scope="col" className="num">
                {RULES.columns.hits}
              </th>
              <th scope="col" className="num">
                {RULES.columns.lastHit}
              </th>
              {/* After the hit counts: the columns before it keep their places. */}
              <th scope="col">{RULES.columns.profile}</th>
              <th scope="col">
                <span className="sr-only">{RULES.columns.actions}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {visible.map((rule) => (
              <RuleRow key={rule.id} rule={rule} now={now} />
            ))}
          </tbody>
        </table>
        {visible.length === 0 ? (
          <p className="table-empty">{rules.length === 0 ? RULES.empty : RULES.noMatch}</p>
        ) : null}
      </div>
      <BlocklistGroup />
      {importing ? (
        <div className="overlay">
          <ImportDialog onClose={() => setImporting(false)} />
        </div>
      ) : null}
    </section>
  );
}
