/**
 * The few kernel primitives the netvsc model blocks on, over the deterministic {@link Scheduler}:
 * `struct completion` (a counted one, unlike the bus's one-shot {@link Completion}), wait queues
 * with `wait_event`, the RTNL mutex with `rtnl_trylock`, `usleep_range`, and work items.
 *
 * A wake-up never resumes the sleeper synchronously: it is scheduled as a new event at the current
 * instant, as a woken kernel thread runs later on its own. This keeps a flow that the receive path
 * wakes (say, `set_channels` waiting for a SUBCHANNEL completion) from running inside that receive
 * path's loop over a ring.
 * @module
 */
import { Completion, spawn, type BlockingFlow, type EventId, type Scheduler } from '../vmbus/scheduler.js';
import { Mutex } from '../vmbus/mutex.js';

/**
 * `struct completion` (kernel/sched/completion.c): `complete()` wakes one waiter or, with none
 * waiting, is remembered in `done` so the next wait returns at once — a stray completion from a
 * host is therefore consumed by whoever waits next, as in Linux.
 */
export class KCompletion {
  private done = 0;
  private readonly waiters: Completion<boolean>[] = [];

  constructor(private readonly scheduler: Scheduler) {}

  /** `complete()`. */
  complete(): void {
    const w = this.waiters.shift();
    if (w) this.scheduler.schedule(0, () => w.settle(true), 'guest: complete');
    else this.done++;
  }

  /** `reinit_completion()`. */
  reinit(): void {
    this.done = 0;
  }

  /** Completions not yet consumed by a waiter. */
  get pending(): number {
    return this.done;
  }

  /** Flows blocked in a wait. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** `wait_for_completion()`: no timeout. */
  *wait(): BlockingFlow<void> {
    if (this.done > 0) {
      this.done--;
      return;
    }
    const c = new Completion<boolean>();
    this.waiters.push(c);
    yield c;
  }

  /** `wait_for_completion_timeout()`: true when completed, false when `ns` passed first. */
  *waitTimeout(ns: number): BlockingFlow<boolean> {
    if (this.done > 0) {
      this.done--;
      return true;
    }
    const c = new Completion<boolean>();
    this.waiters.push(c);
    const timer = this.scheduler.schedule(
      ns,
      () => {
        const i = this.waiters.indexOf(c);
        if (i >= 0) this.waiters.splice(i, 1);
        c.settle(false);
      },
      'guest: completion timeout',
    );
    const ok = (yield c) as boolean;
    if (ok) this.scheduler.cancel(timer);
    return ok;
  }
}

/** A wait queue head: sleepers are woken by {@link WaitQueue.wake} and re-check their condition. */
export class WaitQueue {
  private sleepers: Completion<void>[] = [];

  constructor(private readonly scheduler: Scheduler) {}

  /** `wake_up()`: every sleeper re-checks its condition (at the current instant, as a new event). */
  wake(): void {
    if (this.sleepers.length === 0) return;
    const s = this.sleepers;
    this.sleepers = [];
    this.scheduler.schedule(0, () => s.forEach((c) => c.settle()), 'guest: wake_up');
  }

  /** Sleepers currently waiting. */
  get waiting(): number {
    return this.sleepers.length;
  }

  /** `wait_event(wq, cond)`: returns once `cond()` holds. */
  *waitEvent(cond: () => boolean): BlockingFlow<void> {
    while (!cond()) {
      const c = new Completion<void>();
      this.sleepers.push(c);
      yield c;
    }
  }
}

// The sleeping mutex lives on the VMBus floor, which takes `channel_mutex` too; the driver's RTNL is one.
export { Mutex };

/** `usleep_range(lo, hi)` in virtual time: sleeps a seeded draw in [lo, hi] µs. */
export function usleepRange(scheduler: Scheduler, loUs: number, hiUs: number): Completion<void> {
  const us = loUs + scheduler.random.int(hiUs - loUs + 1);
  const c = new Completion<void>();
  scheduler.schedule(us * 1000, () => c.settle(), 'guest: usleep_range');
  return c;
}

/**
 * A work item on the system workqueue (`schedule_work`, `schedule_delayed_work`,
 * `cancel_work_sync`). The work function is a flow; while it runs the item is not pending and may
 * be queued again.
 */
export class Work {
  private timer: EventId | null = null;
  private parked: (() => void) | null = null;
  /** True while the work function runs. */
  running = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly fn: (self: Work) => BlockingFlow<void>,
    /** The Linux work function's name (`netvsc_link_change`, `netvsc_subchan_work`), used in scheduler event labels. */
    readonly name: string,
    private readonly rtnl?: Mutex,
  ) {}

  /** Queued and not yet started. */
  get pending(): boolean {
    return this.timer !== null || this.parked !== null;
  }

  /** `schedule_delayed_work(w, delay)` (`schedule_work` with delay 0); false if already pending. */
  schedule(delayNs = 0): boolean {
    if (this.pending) return false;
    this.timer = this.scheduler.schedule(delayNs, () => this.start(), `guest: work ${this.name}`);
    return true;
  }

  /**
   * Re-queues the work for when `rtnl` is next released: what a work item that failed
   * `rtnl_trylock()` and called `schedule_work()` on itself amounts to.
   */
  retryWhenUnlocked(): void {
    if (!this.rtnl || this.pending) return;
    const run = () => {
      this.parked = null;
      this.start();
    };
    this.parked = run;
    this.rtnl.onRelease(run);
  }

  /** `cancel_work_sync()` for a work that is not running: true when it was pending. */
  cancel(): boolean {
    let was = false;
    if (this.timer !== null) {
      this.scheduler.cancel(this.timer);
      this.timer = null;
      was = true;
    }
    if (this.parked) {
      this.rtnl?.cancelRetry(this.parked);
      this.parked = null;
      was = true;
    }
    return was;
  }

  private start(): void {
    this.timer = null;
    this.running = true;
    spawn(this.fn(this)).then(() => (this.running = false));
  }
}
