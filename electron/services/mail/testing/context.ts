// A mail context for unit tests: a migrated profile database in a temp folder, a random
// data key, a fake identity and a clock the test moves. No server is started.
import { randomBytes } from 'node:crypto';
import { afterEach } from 'vitest';
import { join } from 'node:path';
import { identityFromSeed } from '../../../../shared/identity/index.js';
import { encodeMailbox, parseMailbox } from '../../../../shared/cbdf/address.js';
import { openDatabase } from '../../../store/database.js';
import { AttachmentStore } from '../../../store/attachments.js';
import { ExtrasTable } from '../../../store/extras.js';
import { MessageStore } from '../../../store/messages.js';
import { OutboxTable } from '../../../store/outbox.js';
import { ReceivedTable } from '../../../store/received.js';
import { SecretBox } from '../../../store/secret-box.js';
import type { DirectoryClient } from '../../directory/client.js';
import type { LoadedIdentity } from '../../identity/store.js';
import { DisplayNames, type MailContext } from '../context.js';
import { tempDir } from '../../../../tests/support/tmp.js';

export interface TestContext {
  ctx: MailContext;
  events: { event: string; payload: unknown }[];
  clock: { t: number };
  me: LoadedIdentity;
  /** Lock the profile (unlocked() turns false). */
  lock(): void;
  close(): void;
  dir: string;
}

export function testIdentity(address = '0006.0.1001', name = 'Alice Liddell'): LoadedIdentity {
  const mailbox = parseMailbox(address);
  const seed = randomBytes(32);
  return {
    seed: seed.toString('hex'),
    address,
    name,
    directory: 'http://127.0.0.1:1',
    beacon: 'b',
    servers: [],
    createdAt: 0,
    mailbox,
    identity: identityFromSeed(new Uint8Array(seed), encodeMailbox(mailbox)),
  };
}

/** `dir`: reuse a profile folder (a restart); else a fresh one. */
export function testContext(opts: { dir?: string; key?: Uint8Array; me?: LoadedIdentity | null } = {}): TestContext & { key: Uint8Array } {
  const tmp = opts.dir ? undefined : tempDir('qmail-mail-unit-');
  const dir = opts.dir ?? tmp!.path;
  const db = openDatabase(join(dir, 'qmail.db'));
  const key = opts.key ?? new Uint8Array(randomBytes(32));
  const secret = new SecretBox(key);
  const box = () => secret;
  const me = opts.me === undefined ? testIdentity() : opts.me;
  let unlocked = true;
  const clock = { t: 1_000_000 };
  const events: { event: string; payload: unknown }[] = [];
  const identity = {
    exists: () => me !== null,
    me: () => {
      if (!me) throw new Error('no identity');
      return me;
    },
    current: () => (unlocked && me ? me : undefined),
    directory: (): DirectoryClient => {
      throw new Error('no directory in unit tests');
    },
  };
  const ctx: MailContext = {
    db,
    box,
    unlocked: () => unlocked,
    now: () => clock.t,
    emit: (event, payload) => events.push({ event, payload }),
    log: () => {},
    identity,
    names: new DisplayNames(identity),
    tables: {
      messages: new MessageStore(db, box),
      attachments: new AttachmentStore(join(dir, 'attachments'), box),
      extras: new ExtrasTable(db, box),
      outbox: new OutboxTable(db, box),
      received: new ReceivedTable(db, box),
    },
    defaultLayout: { k: 2, p: 1 },
  };
  return {
    ctx,
    events,
    clock,
    me: me!,
    key,
    dir,
    lock: () => {
      unlocked = false;
    },
    close: () => {
      db.close();
      tmp?.remove();
    },
  };
}

/** testContext for a test file: each one made is closed after the test that made it. */
export function testContexts(): (opts?: Parameters<typeof testContext>[0]) => ReturnType<typeof testContext> {
  const open: (() => void)[] = [];
  afterEach(() => {
    for (const close of open.splice(0)) close();
  });
  return (opts) => {
    const t = testContext(opts);
    open.push(t.close);
    return t;
  };
}
