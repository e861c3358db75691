// Small inline icons (no external assets). Decorative: hidden from assistive tech.
import type { FolderId } from '../../../shared/ipc/contract.js';

const base = {
  width: 18,
  height: 18,
  viewBox: '0 0 24 24',
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 1.8,
  strokeLinecap: 'round' as const,
  strokeLinejoin: 'round' as const,
  'aria-hidden': true,
  focusable: false,
};

export function FolderIcon({ id }: { id: FolderId }) {
  switch (id) {
    case 'inbox':
      return (
        <svg {...base}>
          <path d="M3 13h5l1.5 3h5L16 13h5" />
          <path d="M5.5 5h13L21 13v6a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1v-6z" />
        </svg>
      );
    case 'drafts':
      return (
        <svg {...base}>
          <path d="M14 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8z" />
          <path d="M14 3v5h5M9 13h6M9 17h4" />
        </svg>
      );
    case 'sent':
      return (
        <svg {...base}>
          <path d="M21 3 10 14" />
          <path d="m21 3-7 18-4-7-7-4z" />
        </svg>
      );
    case 'archive':
      return (
        <svg {...base}>
          <rect x="3" y="4" width="18" height="4" rx="1" />
          <path d="M5 8v11a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8M10 12h4" />
        </svg>
      );
    case 'trash':
      return (
        <svg {...base}>
          <path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3" />
        </svg>
      );
  }
}

export function ComposeIcon() {
  return (
    <svg {...base}>
      <path d="M12 20h9" />
      <path d="M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z" />
    </svg>
  );
}

export function LockIcon() {
  return (
    <svg {...base}>
      <rect x="4" y="11" width="16" height="10" rx="2" />
      <path d="M8 11V7a4 4 0 0 1 8 0v4" />
    </svg>
  );
}

export function RefreshIcon() {
  return (
    <svg {...base}>
      <path d="M20 11a8 8 0 0 0-14.3-4.9L4 8" />
      <path d="M4 3v5h5" />
      <path d="M4 13a8 8 0 0 0 14.3 4.9L20 16" />
      <path d="M20 21v-5h-5" />
    </svg>
  );
}

export function KeyIcon() {
  return (
    <svg {...base}>
      <circle cx="8" cy="15" r="4" />
      <path d="m10.8 12.2 8.2-8.2M16 7l2.5 2.5M13.5 9.5 15.5 11.5" />
    </svg>
  );
}

export function SearchIcon() {
  return (
    <svg {...base} width={16} height={16}>
      <circle cx="11" cy="11" r="7" />
      <path d="m20 20-3.5-3.5" />
    </svg>
  );
}

export function ShieldIcon() {
  return (
    <svg {...base} width={14} height={14}>
      <path d="M12 3 4 6v6c0 5 3.5 8 8 9 4.5-1 8-4 8-9V6z" />
    </svg>
  );
}

/** A coin: tips and inbox fees. */
export function TipIcon() {
  return (
    <svg {...base}>
      <circle cx="12" cy="12" r="8.5" />
      <path d="M14.5 9.2c-.5-.8-1.4-1.2-2.5-1.2-1.5 0-2.5.8-2.5 2s1 1.6 2.5 2 2.5.8 2.5 2-1 2-2.5 2c-1.1 0-2-.4-2.5-1.2M12 6.5V8M12 16v1.5" />
    </svg>
  );
}

/** Two stacked servers: the server picker. */
export function ServersIcon() {
  return (
    <svg {...base}>
      <rect x="3" y="4" width="18" height="6" rx="1.5" />
      <rect x="3" y="14" width="18" height="6" rx="1.5" />
      <path d="M7 7h.01M7 17h.01M11 7h6M11 17h6" />
    </svg>
  );
}

export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden focusable={false}>
      <rect width="32" height="32" rx="8" fill="var(--accent)" />
      <path d="M7 11h18v11a1 1 0 0 1-1 1H8a1 1 0 0 1-1-1z" fill="none" stroke="var(--on-accent)" strokeWidth="2" strokeLinejoin="round" />
      <path d="m7 11 9 7 9-7" fill="none" stroke="var(--on-accent)" strokeWidth="2" strokeLinejoin="round" />
    </svg>
  );
}
