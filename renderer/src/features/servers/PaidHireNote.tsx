// Onboarding on a network whose servers take only paid hires: what the chosen servers will
// cost, the way to the server picker (sort, filter, the wallet and its test Chips), and the
// picker itself (the mail window is not there yet to hold it).
import { useStore } from 'zustand';
import { useIdentity, useStores } from '../../app/context.js';
import { ServerPickerDialog } from './ServerPicker.js';

export function PaidHireNote() {
  const stores = useStores();
  const servers = useIdentity((s) => s.servers);
  const choice = useIdentity((s) => s.choice);
  const open = useStore(stores.servers, (s) => s.open);
  if (!servers.some((s) => s.hireRequired)) return null;
  const term = choice.term;
  return (
    <div className="paid-hire-note">
      <p className="hint small">
        These servers take only paid hires: your wallet pays each one when your address is made.{' '}
        {term
          ? `Chosen: ${choice.storage.length} storage servers and a beacon, ${term.months} month${term.months === 1 ? '' : 's'} of ${term.quotaMb} MB each.`
          : 'Choose them in the server picker, where the prices and your wallet are.'}
      </p>
      <button type="button" onClick={() => stores.servers.getState().show('create')}>
        Choose and pay servers…
      </button>
      {open && <ServerPickerDialog />}
    </div>
  );
}
