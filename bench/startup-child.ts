/**
 * Child process of the startup benchmark: boots a 10-symbol scripted engine, runs its first
 * cycle and prints `first-cycle` on stdout; bench/startup.ts times spawn -> that line.
 */
import { createRig } from './rig.ts';

const rig = await createRig({ symbols: 10, bars: 2 });
await rig.step();
process.stdout.write('first-cycle\n');
await rig.stop();
