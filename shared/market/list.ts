// The server market's list, as `qmail servers list` and the app's server picker show it:
// sorted by price, measured latency or measured availability, and filtered. Pure: the main
// process, the CLI and the renderer share it.

/** What sorting and filtering read of a server (MarketServer in the main process, ServerInfo in the UI). */
export interface ListedServer {
  nodeId: string;
  name: string;
  /** CC per MB per month (30 days). */
  pricePerMbMonth: number;
  jurisdiction: string;
  /** Measured by the directory, ms; null (or absent) before it answered once. */
  latencyMs?: number | null | undefined;
  /** Share of the directory's probes it answered, 0..1. */
  uptime?: number | undefined;
}

export type MarketSort = 'price' | 'latency' | 'uptime';

export interface MarketFilter {
  /** CC per MB-month at most. */
  maxPrice?: number;
  maxLatencyMs?: number;
  /** 0..1 at least. */
  minUptime?: number;
  /** Exactly this jurisdiction (case-insensitive). */
  jurisdiction?: string;
}

/**
 * Cheapest first, fastest first (unmeasured last), or most available first; ties by name
 * then node id, so the order is the same on every call.
 */
export function sortServers<S extends ListedServer>(list: readonly S[], by: MarketSort): S[] {
  const key = (s: S): number =>
    by === 'price' ? s.pricePerMbMonth : by === 'latency' ? (s.latencyMs ?? Number.POSITIVE_INFINITY) : -(s.uptime ?? 0);
  return [...list].sort((a, b) => key(a) - key(b) || a.name.localeCompare(b.name) || a.nodeId.localeCompare(b.nodeId));
}

export function filterServers<S extends ListedServer>(list: readonly S[], f: MarketFilter): S[] {
  const j = f.jurisdiction?.trim().toLowerCase();
  return list.filter(
    (s) =>
      (f.maxPrice === undefined || s.pricePerMbMonth <= f.maxPrice) &&
      (f.maxLatencyMs === undefined || (s.latencyMs != null && s.latencyMs <= f.maxLatencyMs)) &&
      (f.minUptime === undefined || (s.uptime ?? 0) >= f.minUptime) &&
      (!j || s.jurisdiction.toLowerCase() === j),
  );
}

/**
 * MB to buy on each server for `mailMb` of mail striped k + p: every server holds one stripe
 * of each message, a k-th of it (parity stripes are as large as data stripes). At least 1 MB.
 */
export function quotaPerServer(mailMb: number, k: number): number {
  return Math.max(1, Math.ceil(mailMb / Math.max(1, k)));
}
