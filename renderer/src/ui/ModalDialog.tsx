// The one modal dialog shell: a native <dialog> shown modally while `open` is true, named by
// its title, closed by Escape or its ✕ button. While it is open Tab and Shift+Tab cycle inside
// it (the rest of the page is inert already; this keeps focus off the browser's own bar too),
// and when it closes focus goes back to what had it before, if that is still on the page.
// The body is mounted only while open, so what was typed in it goes when it closes. Colours
// come from the tokens (light and dark) through dialog.settings.
import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"]), [contenteditable="true"]';

/** What can take focus inside `root`, in tab order (visible elements only). */
export function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((e) => e.tabIndex >= 0 && e.getClientRects().length > 0);
}

export interface ModalDialogProps {
  open: boolean;
  onClose(): void;
  /** The heading, which also names the dialog. */
  title: ReactNode;
  /** The ✕ button's accessible name, e.g. "Close the wallet". */
  closeLabel: string;
  /** Classes of the <dialog> (its frame: "settings", "certificate", with a feature class). */
  className?: string;
  /** Classes of the body inside it. */
  bodyClassName?: string;
  children: ReactNode;
}

export function ModalDialog({
  open,
  onClose,
  title,
  closeLabel,
  className = 'settings',
  bodyClassName = 'settings-body',
  children,
}: ModalDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const opener = useRef<Element | null>(null);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      opener.current = document.activeElement;
      d.showModal();
    } else if (!open && d.open) {
      d.close();
      restore(opener.current);
    }
  }, [open]);
  // Unmounted while open (its feature went away): focus still goes back.
  useEffect(() => {
    const d = ref.current;
    return () => {
      if (d?.open) restore(opener.current);
    };
  }, []);

  function onKeyDown(e: KeyboardEvent<HTMLDialogElement>) {
    if (e.key !== 'Tab' || !ref.current) return;
    const list = focusables(ref.current);
    if (list.length === 0) return;
    const first = list[0]!;
    const last = list[list.length - 1]!;
    const active = document.activeElement;
    if (e.shiftKey && (active === first || !ref.current.contains(active))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (active === last || !ref.current.contains(active))) {
      e.preventDefault();
      first.focus();
    }
  }

  return (
    <dialog
      ref={ref}
      className={className}
      aria-labelledby={titleId}
      onKeyDown={onKeyDown}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open && (
        <div className={bodyClassName}>
          <header className="composer-header">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="ghost" aria-label={closeLabel} onClick={onClose}>
              ✕
            </button>
          </header>
          {children}
        </div>
      )}
    </dialog>
  );
}

function restore(el: Element | null) {
  if (el instanceof HTMLElement && el.isConnected && el !== document.body) el.focus();
}
