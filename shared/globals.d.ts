// The host globals shared/ may use: those every process it runs in has (the browser, Node,
// Electron, worker threads), declared as narrowly as shared/ uses them. Anything else a
// module needs is passed in. Only shared/tsconfig.json sees this file; the DOM and Node
// configs have the full declarations.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}
declare const crypto: { getRandomValues<T extends ArrayBufferView | null>(array: T): T };
declare function atob(data: string): string;
declare function btoa(data: string): string;
