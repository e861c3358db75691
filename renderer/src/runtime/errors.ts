import { ContractError, ErrorCodes, type ErrorCode } from '../../../shared/ipc/errors.js';

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && (ErrorCodes as readonly string[]).includes(code);
}

/**
 * Whatever a transport rejects with (a ContractError, a structured-clone of one that
 * lost its class crossing contextBridge, a wire error object, a bare Error) becomes a
 * ContractError with a stable code, so screens only ever branch on `code`.
 */
export function toContractError(e: unknown): ContractError {
  if (e instanceof ContractError) return e;
  if (e && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown };
    const message = typeof o.message === 'string' && o.message ? o.message : 'Something went wrong.';
    if (isErrorCode(o.code)) return new ContractError(o.code, message);
    // Electron prefixes rejected invoke() messages: "Error invoking remote method 'x': ContractError: [code] msg"
    const m = /\[([a-z_]+)\]\s*(.*)$/s.exec(message);
    if (m && isErrorCode(m[1])) return new ContractError(m[1], m[2] ?? message);
    return new ContractError('internal', message);
  }
  return new ContractError('internal', typeof e === 'string' ? e : 'Something went wrong.');
}

export function errorMessage(e: unknown): string {
  return toContractError(e).message;
}
