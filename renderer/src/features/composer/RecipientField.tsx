// A recipients input with directory autocomplete: the last name being typed is looked up
// (directory.search: any part of a name or address) and a suggestion replaces it with
// "Name <address>".
import { useEffect, useId, useRef, useState, type Ref } from 'react';
import type { Contact } from '../../../../shared/ipc/contract.js';
import { useStores } from '../../app/context.js';

function lastPiece(text: string): string {
  const parts = text.split(/[,;]/);
  return (parts[parts.length - 1] ?? '').trim();
}

export function RecipientField({
  label,
  value,
  onChange,
  inputRef,
  placeholder,
  error,
  submitOnEnter = false,
}: {
  label: string;
  value: string;
  onChange(v: string): void;
  inputRef?: Ref<HTMLInputElement>;
  placeholder?: string;
  /** Why these recipients cannot be sent to, shown under the field. */
  error?: string | null;
  /** Enter (with no suggestion open) submits the field's form; in the composer it never does (that would only save a draft). */
  submitOnEnter?: boolean;
}) {
  const { runtime } = useStores();
  const [suggestions, setSuggestions] = useState<Contact[]>([]);
  const [active, setActive] = useState(0);
  const [focused, setFocused] = useState(false);
  const listId = useId();
  const gen = useRef(0);
  const query = lastPiece(value);

  const wanted = focused && query.length >= 1 && !/<.*>/.test(query);
  useEffect(() => {
    if (!wanted) {
      gen.current++;
      return;
    }
    const g = ++gen.current;
    const t = setTimeout(() => {
      runtime
        .invoke('directory.search', { query, limit: 8 })
        .then((r) => {
          if (g === gen.current) {
            setSuggestions(r);
            setActive(0);
          }
        })
        .catch(() => g === gen.current && setSuggestions([]));
    }, 150);
    return () => clearTimeout(t);
  }, [query, wanted, runtime]);

  function pick(c: Contact) {
    const parts = value.split(/([,;])/);
    parts[parts.length - 1] = `${parts.length > 1 ? ' ' : ''}${c.name} <${c.address}>`;
    onChange(`${parts.join('')}, `);
    setSuggestions([]);
  }

  const open = wanted && suggestions.length > 0;
  return (
    <div className="field recipient-field">
      <label htmlFor={`${listId}-input`}>{label}</label>
      <input
        id={`${listId}-input`}
        ref={inputRef}
        type="text"
        role="combobox"
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={open ? `${listId}-${active}` : undefined}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${listId}-error` : undefined}
        autoComplete="off"
        spellCheck={false}
        placeholder={placeholder}
        value={value}
        onFocus={() => setFocused(true)}
        onBlur={() => setTimeout(() => setFocused(false), 120)}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          // Enter in a recipients field never submits the form (that would only save a draft).
          if (!open && e.key === 'Enter' && !e.ctrlKey && !e.metaKey) {
            e.preventDefault();
            if (submitOnEnter) e.currentTarget.form?.requestSubmit();
          }
          if (!open) return;
          if (e.key === 'ArrowDown') setActive((a) => (a + 1) % suggestions.length);
          else if (e.key === 'ArrowUp') setActive((a) => (a - 1 + suggestions.length) % suggestions.length);
          else if (e.key === 'Enter' || e.key === 'Tab') {
            if (e.key === 'Tab' && e.shiftKey) return;
            pick(suggestions[active]!);
          } else if (e.key === 'Escape') {
            setSuggestions([]);
            e.stopPropagation();
          } else return;
          e.preventDefault();
        }}
      />
      {error && (
        <p id={`${listId}-error`} className="field-error" role="alert">
          {error}
        </p>
      )}
      {open && (
        <ul id={listId} role="listbox" aria-label={`${label} suggestions`} className="suggestions">
          {suggestions.map((c, i) => (
            <li
              key={c.address}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(c);
              }}
            >
              <strong>{c.name}</strong> <span className="mono muted">{c.address}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
