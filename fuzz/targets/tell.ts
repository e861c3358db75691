// The Tell (Group 6 command 61) a beacon receives from any sender: routing header,
// recipients, server list, optional manifest; standard and legacy forms. What decodes must
// survive encode → decode unchanged.
import { QMailError, decodeTell, encodeTell } from '../../shared/qmail/index.js';
import { type FuzzTarget, roundTrip, tokens } from '../engine/target.js';

export const target: FuzzTarget = {
  name: 'tell',
  about: 'Group 6 Tell: routing header, recipients, servers, manifest (standard and legacy forms)',
  sources: ['/shared/qmail/', '/shared/bytes/', '/shared/raida/'],
  fuzz(data) {
    const legacy = data.length > 0 && (data[0]! & 1) === 1;
    const body = data.subarray(1);
    roundTrip('tell', (b) => decodeTell(b, { legacy }), encodeTell, body);
  },
  expected: (e) => e instanceof QMailError,
  dictionary: tokens([0x3e, 0x3e], [0x00, 0x06], [0x01], [0x20], [0x00, 0x00, 0x00, 0x00], [127, 0, 0, 1], [0x1f, 0x90]),
  maxLength: 4096,
};
