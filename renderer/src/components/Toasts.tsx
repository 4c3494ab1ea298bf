import { useEffect } from 'react';
import { useAppStore } from '../store/store.ts';
import type { Toast } from '../store/ui-slice.ts';
import { SHELL } from '../strings/shell-strings.ts';

function ToastItem({ toast }: { readonly toast: Toast }): React.JSX.Element {
  const dismiss = useAppStore((s) => s.dismissToast);
  useEffect(() => {
    const timer = setTimeout(() => dismiss(toast.id), toast.kind === 'error' ? 8000 : 3500);
    return () => clearTimeout(timer);
  }, [dismiss, toast]);
  return (
    <div className={`toast toast-${toast.kind}`} role={toast.kind === 'error' ? 'alert' : 'status'}>
      <span>{toast.text}</span>
      <button type="button" className="icon-button" aria-label={SHELL.dismiss} onClick={() => dismiss(toast.id)}>
        ×
      </button>
    </div>
  );
}

/** Short messages: results of actions and errors from the engine. */
export function Toasts(): React.JSX.Element {
  const toasts = useAppStore((s) => s.toasts);
  return (
    <div className="toasts">
      {toasts.map((toast) => (
        <ToastItem key={toast.id} toast={toast} />
      ))}
    </div>
  );
}
