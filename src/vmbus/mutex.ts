/**
 * A kernel sleeping mutex in the deterministic scheduler (shared by the guest's VMBus driver's
 * `channel_mutex` and the netvsc driver's RTNL).
 * @module
 */
import { Completion, type BlockingFlow, type Scheduler } from './scheduler.js';

/**
 * A sleeping mutex with FIFO hand-off (the RTNL lock `rtnl_lock`/`rtnl_trylock`/`rtnl_unlock`, VMBus's `channel_mutex`).
 * Work items that failed a trylock register with {@link Mutex.onRelease} and are re-run when the
 * lock is next free, which is when a real re-queued work item would first succeed.
 */
export class Mutex {
  private locked = false;
  private readonly waiters: Completion<void>[] = [];
  private retries: (() => void)[] = [];

  constructor(
    private readonly scheduler: Scheduler,
    /** Lock name for scheduler event labels (the driver's RTNL lock is `rtnl`, VMBus's is `channel_mutex`). */
    readonly name: string,
  ) {}

  /** True while someone holds the lock. */
  get held(): boolean {
    return this.locked;
  }

  /** `mutex_lock()`. */
  *lock(): BlockingFlow<void> {
    if (!this.locked) {
      this.locked = true;
      return;
    }
    const c = new Completion<void>();
    this.waiters.push(c);
    yield c; // ownership is handed over by unlock()
  }

  /** `mutex_trylock()`. */
  tryLock(): boolean {
    if (this.locked) return false;
    this.locked = true;
    return true;
  }

  /** `mutex_unlock()`: hands the lock to the first sleeper, else frees it and runs the pending retries. */
  unlock(): void {
    const next = this.waiters.shift();
    if (next) {
      this.scheduler.schedule(0, () => next.settle(), `guest: ${this.name} hand-off`);
      return;
    }
    this.locked = false;
    if (this.retries.length) {
      const r = this.retries;
      this.retries = [];
      this.scheduler.schedule(0, () => r.forEach((fn) => fn()), `guest: ${this.name} retry`);
    }
  }

  /** Runs `fn` (once) the next time the lock is released with no sleeper waiting for it. */
  onRelease(fn: () => void): void {
    this.retries.push(fn);
  }

  /** Drops a retry registered with {@link Mutex.onRelease}; true if it was registered. */
  cancelRetry(fn: () => void): boolean {
    const i = this.retries.indexOf(fn);
    if (i < 0) return false;
    this.retries.splice(i, 1);
    return true;
  }
}
