// The recovery phrase after onboarding made it: a new identity stays "pending" until the
// user retypes a few of its words (kept in the sealed identity, so a reload returns to that
// step), and the phrase can be shown again only after the passphrase is checked here.
import { randomInt } from 'node:crypto';
import { identityToPhrase } from '../../../shared/identity/index.js';
import { stripLoaded } from './onboarding.js';
import type { IdentityStore, LoadedIdentity } from './store.js';

/** How many words the user retypes. */
export const CONFIRM_WORDS = 3;

export class PhraseError extends Error {
  override readonly name = 'PhraseError';
}

/** `count` distinct 1-based positions out of `total`, in ascending order. */
export function pickPositions(total: number, count: number, rand: (n: number) => number = randomInt): number[] {
  const all = Array.from({ length: total }, (_, i) => i + 1);
  for (let i = all.length - 1; i > 0; i--) {
    const j = rand(i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, Math.min(count, total)).sort((a, b) => a - b);
}

const normal = (w: string) => w.trim().toLowerCase();

export class PhraseConfirmation {
  /** The words asked for, the same until they are confirmed (a reload asks for the same ones). */
  private positions: number[] | null = null;

  constructor(
    private readonly store: IdentityStore,
    private readonly rand: (n: number) => number = randomInt,
  ) {}

  private current(): LoadedIdentity {
    const l = this.store.load();
    if (!l) throw new PhraseError('This profile has no identity yet.');
    return l;
  }

  challenge(): number[] {
    const l = this.current();
    if (!l.phrasePending) return [];
    this.positions ??= pickPositions(identityToPhrase(l.identity).split(' ').length, CONFIRM_WORDS, this.rand);
    return this.positions;
  }

  /** Checks the words typed for the challenge's positions, in order; when all match the phrase is confirmed. */
  confirm(words: string[]): LoadedIdentity {
    const l = this.current();
    if (!l.phrasePending) return l;
    const positions = this.challenge();
    if (words.length !== positions.length) throw new PhraseError(`Type the ${positions.length} words asked for.`);
    const phrase = identityToPhrase(l.identity).split(' ');
    const wrong = positions.filter((p, i) => normal(words[i] ?? '') !== phrase[p - 1]);
    if (wrong.length > 0) {
      const list = wrong
        .map((p) => `word ${p}`)
        .join(', ')
        .replace(/, ([^,]*)$/, ' and $1');
      throw new PhraseError(
        `${list[0]!.toUpperCase()}${list.slice(1)} ${wrong.length === 1 ? 'does' : 'do'} not match your recovery phrase.`,
      );
    }
    this.positions = null;
    return this.store.save({ ...stripLoaded(l), phrasePending: false });
  }

  /** The phrase itself: call only after the passphrase was checked. */
  phrase(): string {
    return identityToPhrase(this.current().identity);
  }
}
