import { WireError } from '../raida/errors.js';
import { type CodecKit, codecKit } from '../raida/kit.js';

/** Every DRD (Group 16) codec error; `status` is what the server answers. */
export class DrdError extends WireError {
  override readonly name = 'DrdError';
}

export const kit: CodecKit = codecKit((c, s, m) => new DrdError(c, s, m));
