/**
 * The toolkit's model commands over `createVm`: any sequence of `-L combined N`, `-l`, host policy
 * changes, rescinds and traffic keeps the driver sane (the invariants of src/testing/model.ts).
 */
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { createVm } from '../../src/session/vm.js';
import {
  ChannelInvariantError,
  SetCombinedCommand,
  channelCommands,
  channelModel,
  checkChannelInvariants,
  expectedCombined,
  parseChannelListing,
} from '../../src/testing/index.js';

/** Sequences run by this file (reported by the lead: how many model-based sequences `npm test` runs). */
export const MODEL_RUNS = 40;

describe('model commands over createVm', () => {
  it(`${MODEL_RUNS} random sequences of ethtool, host policies, rescinds and traffic keep every invariant`, () => {
    let sequences = 0;
    fc.assert(
      fc.property(fc.commands(channelCommands({ vcpus: 8 }), { maxCommands: 12 }), fc.integer({ min: 1, max: 1000 }), (cmds, seed) => {
        const vm = createVm({ vcpus: 8, seed, host: { maxQueues: 8 } });
        fc.modelRun(() => ({ model: channelModel(vm), real: vm }), cmds);
        sequences++;
      }),
      { numRuns: MODEL_RUNS, seed: 8 },
    );
    expect(sequences).toBe(MODEL_RUNS);
  });

  it('the checks catch a broken system: a -L that claims success but changes nothing', () => {
    const vm = createVm({ vcpus: 8 });
    const model = channelModel(vm);
    const lying = Object.assign(Object.create(vm) as typeof vm, { ethtool: (c: string) => (c.startsWith('-L') ? { stdout: '', stderr: '', status: 0 } : vm.ethtool(c)) });
    expect(() => new SetCombinedCommand(2).run(model, lying)).toThrow(ChannelInvariantError);
  });

  it('the checks catch a model that disagrees with the VM', () => {
    const vm = createVm({ vcpus: 4 });
    const model = channelModel(vm);
    model.combined = 1;
    expect(() => checkChannelInvariants(vm, model)).toThrow(/combined count changed/);
  });

  it('parses ethtool -l and predicts grants', () => {
    const vm = createVm({ vcpus: 4 });
    expect(parseChannelListing(vm.ethtool('-l eth0').stdout)).toEqual({ max: 4, combined: 4 });
    expect(() => parseChannelListing('nonsense')).toThrow(ChannelInvariantError);
    expect([expectedCombined(5, 'grant-all'), expectedCombined(5, 'refuse'), expectedCombined(5, { grantFewer: 2 }), expectedCombined(1, 'refuse')]).toEqual([5, 1, 3, 1]);
  });
});
