// Conversations across the legacy accounts (docs/legacy.md, "Conversations across the
// gateway"): messages linked by Message-ID and In-Reply-To, over every account and folder.

/** What links a message to others: its Message-ID and the one it answers, without brackets. */
export interface Linked {
  messageId?: string;
  inReplyTo?: string;
}

/** The message `id` answers (by In-Reply-To), when it is among `known`. */
export function parentIn(known: ReadonlyMap<string, Linked>, id: string): string | undefined {
  const want = known.get(id)?.inReplyTo;
  if (!want) return undefined;
  for (const [other, k] of known) if (k.messageId === want && other !== id) return other;
  return undefined;
}

/** Every message of `id`'s conversation: those whose chain of In-Reply-To leads to the same first message we hold. */
export function threadIn(known: ReadonlyMap<string, Linked>, id: string): string[] {
  if (!known.has(id)) return [];
  const byMessageId = new Map<string, string>();
  for (const [k, v] of known) if (v.messageId && !byMessageId.has(v.messageId)) byMessageId.set(v.messageId, k);
  const rootOf = (start: string): string => {
    let at = start;
    const seen = new Set<string>();
    for (;;) {
      seen.add(at);
      const up = known.get(at)?.inReplyTo;
      const next = up ? byMessageId.get(up) : undefined;
      if (!next || seen.has(next)) return at;
      at = next;
    }
  };
  const root = rootOf(id);
  return [...known.keys()].filter((k) => k === root || rootOf(k) === root);
}
