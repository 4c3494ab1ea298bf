import { useEffect } from 'react';
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
import { LogsView } from './views/LogsView.tsx';
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
      <StorageBanner />
      <StatusBar />
      <PromptDialog />
      <RuleEditorDialog />
      <Toasts />
    </div>
  );
}
