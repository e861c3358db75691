// The contract's inbox-fee requests: our inbox's fee and lists on our beacon, and what each
// recipient's inbox charges before Send (docs/chips.md).
import { ContractError, type Handlers } from '../../../shared/ipc/index.js';

type FeesRequest = 'fees.mine' | 'fees.set' | 'fees.list' | 'fees.quote';
export const FEES_REQUESTS: readonly FeesRequest[] = ['fees.mine', 'fees.set', 'fees.list', 'fees.quote'];

const notYet = (): never => {
  throw new ContractError('unavailable', 'Inbox fees are not reachable from the app yet.');
};

export function feesHandlers(): Pick<Handlers, FeesRequest> {
  return { 'fees.mine': notYet, 'fees.set': notYet, 'fees.list': notYet, 'fees.quote': notYet };
}
