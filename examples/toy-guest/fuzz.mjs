// A Jazzer.js-compatible fuzz target for the toy guest: a scripted host answers its first INIT
// with the fuzz input as the completion's bytes. The toy guest must never throw and never hang.
import { createBus } from 'netvsc-sim';
import { ScriptedHost, FuzzHangError, runWithin } from 'netvsc-sim/testing';
import { attachToyGuest } from './toy-guest.mjs';

export function fuzz(data) {
  const bus = createBus({ seed: 1 });
  new ScriptedHost(bus, {
    interceptNvsp: (host, m) => (m.msg.type === 'INIT' ? (host.complete(0, m.packet.trans_id, data.subarray(0, 4000)), true) : false),
  });
  const toy = attachToyGuest(bus);
  bus.guest.connect();
  runWithin(bus, 100_000, 'toy boot');
  toy.start();
  runWithin(bus, 100_000, 'toy negotiation');
  if (toy.version !== 0 && !toy.tried.includes(toy.version)) throw new Error('toy guest claims a version it never asked for');
}

export { FuzzHangError };
