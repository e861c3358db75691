import { WireError } from '../raida/errors.js';
import { type CodecKit, codecKit } from '../raida/kit.js';

/** Every coin-file and coin-command codec error; `status` is what a server answers. */
export class ChipsError extends WireError {
  override readonly name = 'ChipsError';
}

export const kit: CodecKit = codecKit((c, s, m) => new ChipsError(c, s, m));
