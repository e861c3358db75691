// DRD (Group 16) bodies a directory node reads — post_user, get_user, search, delete_user,
// list_get, list_set, list_remove — and the answers a client reads: a user record, search
// results, list entries, and the 8-byte fee. What decodes must survive encode → decode.
import {
  DrdError,
  decodeFee,
  decodeGetUser,
  decodeListGetResult,
  decodeListRemove,
  decodeListSet,
  decodeOwnerOnly,
  decodePostUser,
  decodeSearchResult,
  decodeSearchUsers,
  decodeUserRecord,
  encodeFee,
  encodeGetUser,
  encodeListGetResult,
  encodeListRemove,
  encodeListSet,
  encodeOwnerOnly,
  encodePostUser,
  encodeSearchResult,
  encodeSearchUsers,
  encodeUserRecord,
} from '../../shared/drd/index.js';
import { type FuzzTarget, byFirstByte, roundTrip, tokens } from '../engine/target.js';

const CODECS: ((b: Uint8Array) => void)[] = [
  (b) => void roundTrip('post_user', decodePostUser, encodePostUser, b),
  (b) => void roundTrip('get_user', decodeGetUser, encodeGetUser, b),
  (b) => void roundTrip('search_users', decodeSearchUsers, encodeSearchUsers, b),
  (b) => void roundTrip('delete_user/list_get', (x) => decodeOwnerOnly(x), encodeOwnerOnly, b),
  (b) => void roundTrip('list_set', decodeListSet, encodeListSet, b),
  (b) => void roundTrip('list_remove', decodeListRemove, encodeListRemove, b),
  (b) => void roundTrip('user record', decodeUserRecord, encodeUserRecord, b),
  (b) => void roundTrip('search result', decodeSearchResult, encodeSearchResult, b),
  (b) => void roundTrip('list_get result', decodeListGetResult, encodeListGetResult, b),
  (b) => void roundTrip('fee', decodeFee, encodeFee, b),
];

export const target: FuzzTarget = {
  name: 'drd',
  about: 'DRD bodies: post/get/search/delete user, list get/set/remove, user records, search results, list entries, fee',
  sources: ['/shared/drd/', '/shared/bytes/', '/shared/raida/'],
  fuzz: byFirstByte(CODECS),
  expected: (e) => e instanceof DrdError,
  dictionary: tokens(
    [0x3e, 0x3e],
    [0x00, 0x06],
    [0x00],
    [0x01],
    [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    [0xff],
    [0x41, 0x6c, 0x69, 0x63, 0x65],
  ),
  maxLength: 4096,
};
