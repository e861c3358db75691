// Tip settings: what a stranger pays to reach our inbox, which address classes we take, the
// white list (free) and the black list (refused), and whether everyone we write to is free.
// All of it lives on our beacon, which applies it to every Tell (docs/chips.md).
import { useId, useState } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../../app/context.js';
import { ModalDialog } from '../../ui/ModalDialog.js';
import { RecipientField } from '../composer/RecipientField.js';
import { CLASS_CHOICES, classWords, LIST_NAMES, type FeeList, type FeesStore } from './store.js';

export const useFees = <T,>(select: (s: FeesStore) => T): T => useStore(useStores().fees, select);

const LIST_HELP: Record<FeeList, string> = {
  white: 'They write to you free, whatever your fee.',
  black: 'Their mail is refused, whatever they pay.',
};

function ListSection({ list }: { list: FeeList }) {
  const { fees } = useStores();
  const entries = useFees((s) => s.settings?.[list] ?? []);
  const busy = useFees((s) => s.busy);
  const fieldError = useFees((s) => (s.fieldError?.list === list ? s.fieldError.message : null));
  const [text, setText] = useState('');
  const headingId = useId();
  const title = list === 'white' ? 'White list' : 'Black list';
  return (
    <section className="settings-section fees-list" aria-labelledby={headingId}>
      <h3 id={headingId}>{title}</h3>
      <p className="hint small">{LIST_HELP[list]}</p>
      <form
        className="fees-add"
        aria-label={`Add to the ${LIST_NAMES[list]}`}
        onSubmit={(e) => {
          e.preventDefault();
          void fees
            .getState()
            .addTyped(list, text)
            .then((ok) => ok && setText(''));
        }}
      >
        <RecipientField
          label={`Add to the ${LIST_NAMES[list]}`}
          value={text}
          onChange={(v) => {
            setText(v);
            if (fees.getState().fieldError?.list === list) fees.setState({ fieldError: null });
          }}
          placeholder="Name or address (0006.1.42)"
          error={fieldError}
          submitOnEnter
        />
        <button type="submit" disabled={busy !== null}>
          {busy === list ? 'Adding…' : 'Add'}
        </button>
      </form>
      {entries.length > 0 ? (
        <ul className="fees-entries" aria-label={title}>
          {entries.map((a) => (
            <li key={a}>
              <span className="mono">{a}</span>
              <button
                type="button"
                className="small"
                disabled={busy !== null}
                aria-label={`Remove ${a} from the ${LIST_NAMES[list]}`}
                onClick={() => void fees.getState().remove(list, a)}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="hint small">Nobody yet.</p>
      )}
    </section>
  );
}

function FeeForm({ current }: { current: string }) {
  const { fees } = useStores();
  const busy = useFees((s) => s.busy);
  const [fee, setFee] = useState(current);
  const feeId = useId();
  const helpId = useId();
  return (
    <form
      className="settings-section"
      aria-label="Inbox fee"
      onSubmit={(e) => {
        e.preventDefault();
        void fees.getState().setFee(fee);
      }}
    >
      <h3>Inbox fee</h3>
      <p id={helpId} className="hint small">
        What a stranger pays, in Chips, for each qmail that reaches you. 0 makes your inbox free. Your server keeps its published share; the
        rest comes to your wallet with the message.
      </p>
      <label className="fees-label" htmlFor={feeId}>
        Fee in CC
      </label>
      <div className="fees-row">
        <input
          id={feeId}
          type="text"
          inputMode="decimal"
          autoComplete="off"
          spellCheck={false}
          aria-describedby={helpId}
          value={fee}
          onChange={(e) => setFee(e.target.value)}
        />
        <button type="submit" className="primary" disabled={busy !== null}>
          {busy === 'fee' ? 'Saving…' : 'Save fee'}
        </button>
      </div>
    </form>
  );
}

export function TipSettingsDialog() {
  const { fees } = useStores();
  const open = useFees((s) => s.open);
  const settings = useFees((s) => s.settings);
  const loading = useFees((s) => s.loading);
  const busy = useFees((s) => s.busy);
  const error = useFees((s) => s.error);
  const done = useFees((s) => (s.notice?.kind === 'done' ? s.notice.text : null));
  const classId = useId();
  const classHelpId = useId();
  const contactsHelpId = useId();

  return (
    <ModalDialog
      open={open}
      onClose={() => fees.getState().hide()}
      title="Tip settings"
      closeLabel="Close the tip settings"
      className="settings fees"
      bodyClassName="settings-body fees-body"
    >
      <p className="hint">
        Strangers pay your inbox fee to reach you, so unwanted mail costs its sender. Your server applies these settings to every qmail
        before it reaches you.
      </p>
      <p className="fees-state" role="status">
        {loading && !settings
          ? 'Reading your inbox settings…'
          : settings
            ? settings.fee === '0'
              ? 'Your inbox is free: anyone may write to you.'
              : `Strangers pay ${settings.fee} CC to write to you.`
            : ''}
      </p>
      {error ? (
        <p className="form-error fees-error" role="alert">
          {error}
        </p>
      ) : (
        <p className="fees-done" role="status">
          {done}
        </p>
      )}
      {settings && (
        <>
          <FeeForm key={settings.fee} current={settings.fee} />
          <section className="settings-section" aria-labelledby={`${classId}-h`}>
            <h3 id={`${classId}-h`}>Who may write</h3>
            <p id={classHelpId} className="hint small">
              Every address has a class: its middle number (0006.<strong>1</strong>.42 is class 1), the denomination of the coin it is made
              of. Higher classes are worth more, so refusing low classes keeps out throwaway addresses. A refused sender keeps their Chips.
            </p>
            <label className="fees-label" htmlFor={classId}>
              Address classes you take
            </label>
            <select
              id={classId}
              aria-describedby={classHelpId}
              value={settings.classRejection}
              disabled={busy !== null}
              onChange={(e) => void fees.getState().setClassRejection(Number(e.target.value))}
            >
              {[...new Set([...CLASS_CHOICES, settings.classRejection])].map((n) => (
                <option key={n} value={n}>
                  {classWords(n)}
                </option>
              ))}
            </select>
          </section>
          <section className="settings-section" aria-label="Contacts">
            <label className="fees-switch">
              <input
                type="checkbox"
                role="switch"
                aria-describedby={contactsHelpId}
                checked={settings.contactsFree}
                disabled={busy !== null}
                onChange={(e) => void fees.getState().setContactsFree(e.target.checked)}
              />
              <span>Contacts are free</span>
            </label>
            <p id={contactsHelpId} className="hint small">
              Everyone you write to joins your white list, so their answers never cost them anything.
            </p>
          </section>
          <div className="fees-lists">
            <ListSection list="white" />
            <ListSection list="black" />
          </div>
        </>
      )}
    </ModalDialog>
  );
}
