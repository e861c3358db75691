// The attachment row under a message being written: a chip per file (name, size, progress
// while it streams to the main process, a remove button), "Attach files…" (a button, so it
// is reached by Tab and named for screen readers, opening a hidden file input) and the total.
// The qmail composer and the Email window both use it.
import { useRef, type ReactNode } from 'react';
import { formatBytes } from '../identity/Onboarding.js';
import './upload.css';

export interface AttachmentChip {
  key: number;
  name: string;
  size: number;
  /** Bytes streamed so far, while the file is still uploading (absent once it is in). */
  uploading?: number;
}

export function AttachmentsBar({
  items,
  onRemove,
  onFiles,
  children,
}: {
  items: AttachmentChip[];
  onRemove: (key: number) => void;
  onFiles: (files: File[]) => void;
  /** Status lines after the total (an error, a draft's attachments being restored). */
  children?: ReactNode;
}) {
  const fileRef = useRef<HTMLInputElement | null>(null);
  const total = items.reduce((n, a) => n + a.size, 0);
  return (
    <section className="attachments-bar" aria-label="Attachments">
      {items.length > 0 && (
        <ul className="chips">
          {items.map((a) => (
            <li key={a.key} className="chip">
              <span className="chip-name">{a.name}</span>
              <span className="muted small">{formatBytes(a.size)}</span>
              {a.uploading !== undefined && (
                <progress className="upload-progress" max={a.size || 1} value={a.uploading} aria-label={`Uploading ${a.name}`} />
              )}
              <button type="button" className="ghost small" aria-label={`Remove ${a.name}`} onClick={() => onRemove(a.key)}>
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="small" onClick={() => fileRef.current?.click()}>
        Attach files…
      </button>
      <input
        ref={fileRef}
        type="file"
        multiple
        hidden
        aria-label="Attach files"
        onChange={(e) => {
          if (e.target.files) onFiles(Array.from(e.target.files));
          e.target.value = '';
        }}
      />
      {items.length > 0 && <span className="muted small">{formatBytes(total)} in total</span>}
      {children}
    </section>
  );
}
