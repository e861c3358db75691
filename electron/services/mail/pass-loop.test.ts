import { describe, expect, it } from 'vitest';
import { PassLoop } from './pass-loop.js';

/** A schedule the test runs by hand: the delays asked for, and the callbacks due. */
function manual() {
  const due: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const schedule = (fn: () => void, ms: number) => {
    const e = { fn, ms, cancelled: false };
    due.push(e);
    return () => void (e.cancelled = true);
  };
  const fire = () => {
    const e = due.filter((x) => !x.cancelled).shift();
    due.splice(0, due.length, ...due.filter((x) => x !== e && !x.cancelled));
    e?.fn();
    return e;
  };
  return { due, schedule, fire };
}

describe('PassLoop', () => {
  it('runs nothing before start or after halt; start twice is one start', async () => {
    const m = manual();
    let passes = 0;
    const loop = new PassLoop(async () => void passes++, m.schedule);
    loop.kick();
    expect(m.due).toHaveLength(0);
    expect(loop.start()).toBe(true);
    expect(loop.start()).toBe(false);
    m.fire();
    await loop.settle();
    expect(passes).toBe(1);
    loop.kick(500);
    expect(m.due.map((e) => e.ms)).toEqual([500]);
    loop.halt();
    expect(loop.running).toBe(false);
    expect(m.fire()).toBeUndefined(); // the pending kick was cancelled
    expect(passes).toBe(1);
  });

  it('one pass at a time: a kick during a pass runs another right after it; a later kick replaces an earlier one', async () => {
    const m = manual();
    let release!: () => void;
    let inFlight = 0;
    let most = 0;
    let passes = 0;
    const loop = new PassLoop(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      passes++;
      if (passes === 1) await new Promise<void>((r) => (release = r));
      inFlight--;
    }, m.schedule);
    loop.start();
    m.fire(); // pass 1 starts and waits
    loop.kick(1000);
    loop.kick(); // replaces the 1000 ms one
    expect(m.due.filter((e) => !e.cancelled).map((e) => e.ms)).toEqual([0]);
    m.fire(); // busy: deferred until pass 1 ends
    expect(passes).toBe(1);
    release();
    await loop.settle();
    m.fire(); // the deferred kick
    await loop.settle();
    expect(passes).toBe(2);
    expect(most).toBe(1);
  });

  it('stop waits for the pass in flight, and a failing pass does not stop the loop', async () => {
    const m = manual();
    let done = false;
    let fail = true;
    const loop = new PassLoop(async () => {
      if (fail) {
        fail = false;
        throw new Error('boom');
      }
      await new Promise((r) => setTimeout(r, 20));
      done = true;
    }, m.schedule);
    loop.start();
    m.fire();
    await loop.settle();
    loop.kick();
    m.fire();
    await loop.stop();
    expect(done).toBe(true);
  });
});
