// Dates and labels as a person reads them.
import type { MessageSummary } from '../../../shared/ipc/contract.js';
import { LEVEL_LABELS as SECURITY_LEVEL_LABELS } from '../../../shared/qmail/levels.js';

export function formatListDate(ms: number, now = Date.now(), locale?: string): string {
  const d = new Date(ms);
  const n = new Date(now);
  if (d.toDateString() === n.toDateString()) return d.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
  if (d.getFullYear() === n.getFullYear()) return d.toLocaleDateString(locale, { month: 'short', day: 'numeric' });
  return d.toLocaleDateString(locale, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function formatFullDate(ms: number, locale?: string): string {
  return new Date(ms).toLocaleString(locale, { dateStyle: 'full', timeStyle: 'short' });
}

export const LEVEL_LABELS: Record<MessageSummary['level'], { short: string; long: string }> = {
  ...SECURITY_LEVEL_LABELS,
  plain: { short: 'Not encrypted', long: 'Sent without end-to-end encryption' },
  local: { short: 'On this computer', long: 'Stored only on this computer, encrypted in your vault' },
};

/** "Ada Lovelace <ada@example.org>" → "Ada Lovelace"; a bare address stays as it is. */
export function displayName(address: string): string {
  const m = /^\s*"?([^"<]+?)"?\s*<[^>]+>\s*$/.exec(address);
  return m?.[1] ?? address.trim();
}

/** "1 message", "2 messages", "0 matches": a count with its noun in the right number. */
export function countOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
