// app.correspondent through the dispatcher: the embedded network's correspondent once it is
// up (named when the directory answers), nothing on a network without one.
import { describe, expect, it } from 'vitest';
import { createDispatcher } from '../../../shared/ipc/index.js';
import type { AppServicesOptions } from './services.js';
import { freshApps } from './testing/fresh.js';

const freshApp = freshApps();

function open(extra: Partial<AppServicesOptions>) {
  return createDispatcher(freshApp(extra).handlers, (e) => {
    throw e;
  });
}

describe('app.correspondent', () => {
  it('gives the address once the correspondent is up (its name comes from the directory, asked only while unlocked)', async () => {
    const dispatch = open({ correspondent: Promise.resolve('0006.0.1234'), directoryUrl: 'http://127.0.0.1:9/' });
    expect(await dispatch('app.correspondent', {})).toEqual({ ok: true, value: { address: '0006.0.1234' } });
  });

  it('is empty where no correspondent runs (another network, or it did not start)', async () => {
    expect(await open({})('app.correspondent', {})).toEqual({ ok: true, value: {} });
    expect(await open({ correspondent: Promise.resolve(undefined) })('app.correspondent', {})).toEqual({ ok: true, value: {} });
  });
});
