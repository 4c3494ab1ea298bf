import { useEffect } from 'react';
import { LearnedBanner } from './components/LearnedNotice.tsx';
import { NetworkQuestion } from './components/NetworkQuestion.tsx';
import { PromptDialog } from './components/PromptDialog.tsx';
import { RuleEditorDialog } from './components/RuleEditorDialog.tsx';
import { Sidebar } from './components/Sidebar.tsx';
import { StatusBar } from './components/StatusBar.tsx';
import { StorageBanner } from './components/StorageBanner.tsx';
import { Toasts } from './components/Toasts.tsx';
import { useAppStore } from './store/store.ts';
import { startSync } from './store/sync.ts';
import { AppsView } from './views/AppsView.tsx';
import { ConnectionsView } from './views/ConnectionsView.tsx';
import { DnsLogView } from './views/DnsLogView.tsx';
import { HistoryView } from './views/HistoryView.tsx';
import { LearningView } from './views/LearningView.tsx';
import { LogsView } from './views/LogsView.tsx';
import { ProfilesView } from './views/ProfilesView.tsx';
import { RulesView } from './views/RulesView.tsx';
import { SettingsView } from './views/SettingsView.tsx';

function CurrentView(): React.JSX.Element {
  const view = useAppStore((s) => s.view);
  switch (view) {
    case 'connections':
      return <ConnectionsView />;
    case 'apps':
      return <AppsView />;
    case 'history':
      return <HistoryView />;
    case 'dns':
      return <DnsLogView />;
    case 'rules':
      return <RulesView />;
    case 'learning':
      return <LearningView />;
    case 'profiles':
      return <ProfilesView />;
    case 'settings':
      return <SettingsView />;
    case 'logs':
      return <LogsView />;
  }
}

/** Electron's prompt window loads `index.html?window=prompt`: the prompt alone. */
function isPromptWindow(): boolean {
  return new URLSearchParams(window.location.search).get('window') === 'prompt';
}

/** The application shell: navigation, the current view, the status bar and the dialogs. */
export function App(): React.JSX.Element {
  useEffect(() => startSync(), []);
  if (isPromptWindow()) {
    return (
      <div className="prompt-only">
        <PromptDialog standalone />
        <Toasts />
      </div>
    );
  }
  return (
    <div className="app">
      <Sidebar />
      <main className="content">
        <CurrentView />
      </main>
      <div className="banners">
        <StorageBanner />
        <NetworkQuestion />
        <LearnedBanner />
      </div>
      <StatusBar />
      <PromptDialog />
      <RuleEditorDialog />
      <Toasts />
    </div>
  );
}
