// RKE (Group 15) bodies a key server reads — preload_master_key (bare and after the RAIDA
// challenge), get_key_share — and the one-byte share a client reads back. What decodes
// must survive encode → decode unchanged.
import {
  RkeError,
  decodeGetKeyShare,
  decodeKeyShareResponse,
  decodePreloadMasterKey,
  decodePreloadRequestBody,
  encodeGetKeyShare,
  encodeKeyShareResponse,
  encodePreloadMasterKey,
  encodePreloadRequestBody,
} from '../../shared/rke/index.js';
import { type FuzzTarget, byFirstByte, roundTrip, tokens } from '../engine/target.js';

const CODECS: ((b: Uint8Array) => void)[] = [
  (b) => void roundTrip('preload_master_key', decodePreloadMasterKey, encodePreloadMasterKey, b),
  (b) => void roundTrip('preload request body', decodePreloadRequestBody, (v) => encodePreloadRequestBody(v.challenge, v), b),
  (b) => void roundTrip('get_key_share', decodeGetKeyShare, encodeGetKeyShare, b),
  (b) => void roundTrip('key share response', decodeKeyShareResponse, encodeKeyShareResponse, b),
];

export const target: FuzzTarget = {
  name: 'rke',
  about: 'RKE bodies: preload_master_key (bare and in a request), get_key_share, key share response',
  sources: ['/shared/rke/', '/shared/bytes/', '/shared/raida/'],
  fuzz: byFirstByte(CODECS),
  expected: (e) => e instanceof RkeError,
  dictionary: tokens([0x3e, 0x3e], [0x00, 0x00, 0x00, 0x10], [0x01], [0x00, 0x00, 0x00, 0xff], [0x21]),
  maxLength: 4096,
};
