/**
 * ethtool's sub-command table, per version: the option spellings `main()` matches (exactly, one
 * `|`-separated alternative at a time), whether the sub-command takes a device name, and (6.x)
 * whether it accepts `--json` / `--phy`. Only `-l`, `-L`, `-h` and `--version` are simulated; the
 * rest is here so that argv is classified as real ethtool classifies it (a known option that needs
 * a device, an unknown option, a device name) before the simulator says "not simulated".
 *
 * Read from ethtool.c `args[]` at the tags v4.2, v6.1 and v6.15.
 * @module
 */

/** The simulated sub-commands, plus `other` for any real ethtool sub-command the simulator does not run. */
export type SubCommand = 'show-channels' | 'set-channels' | 'help' | 'version' | 'other';

/** One row of the table. */
export interface OptionRow {
  readonly opts: string;
  readonly noDev: boolean;
  readonly json: boolean;
  readonly targetsPhy: boolean;
  readonly sub: SubCommand;
}

function sub(opts: string): SubCommand {
  switch (opts) {
    case '-l|--show-channels':
      return 'show-channels';
    case '-L|--set-channels':
      return 'set-channels';
    case '-h|--help':
      return 'help';
    case '--version':
      return 'version';
    default:
      return 'other';
  }
}

/** Rows as `[opts, ...flags]`; flags: `nodev`, `json`, `phy`. */
type Compact = readonly [string, ...('nodev' | 'json' | 'phy')[]];

function table(rows: readonly Compact[]): readonly OptionRow[] {
  return rows.map(([opts, ...flags]) => ({
    opts,
    noDev: flags.includes('nodev'),
    json: flags.includes('json'),
    targetsPhy: flags.includes('phy'),
    sub: sub(opts),
  }));
}

/** ethtool 4.2: no default row (a bare device name is handled by `main()` itself). */
export const OPTIONS_4_2 = table([
  ['-s|--change'], ['-a|--show-pause'], ['-A|--pause'], ['-c|--show-coalesce'], ['-C|--coalesce'], ['-g|--show-ring'],
  ['-G|--set-ring'], ['-k|--show-features|--show-offload'], ['-K|--features|--offload'], ['-i|--driver'],
  ['-d|--register-dump'], ['-e|--eeprom-dump'], ['-E|--change-eeprom'], ['-r|--negotiate'], ['-p|--identify'],
  ['-t|--test'], ['-S|--statistics'], ['-n|-u|--show-nfc|--show-ntuple'], ['-N|-U|--config-nfc|--config-ntuple'],
  ['-T|--show-time-stamping'], ['-x|--show-rxfh-indir|--show-rxfh'], ['-X|--set-rxfh-indir|--rxfh'], ['-f|--flash'],
  ['-P|--show-permaddr'], ['-w|--get-dump'], ['-W|--set-dump'], ['-l|--show-channels'], ['-L|--set-channels'],
  ['--show-priv-flags'], ['--set-priv-flags'], ['-m|--dump-module-eeprom|--module-info'], ['--show-eee'], ['--set-eee'],
  ['-h|--help', 'nodev'], ['--version', 'nodev'],
]);

/** ethtool 6.1: row 0 is the default (device name only) entry, which `find_option` skips. */
export const OPTIONS_6_1 = table([
  [''], ['-s|--change'], ['-a|--show-pause', 'json'], ['-A|--pause'], ['-c|--show-coalesce'], ['-C|--coalesce'],
  ['-g|--show-ring'], ['-G|--set-ring'], ['-k|--show-features|--show-offload', 'json'], ['-K|--features|--offload'],
  ['-i|--driver'], ['-d|--register-dump'], ['-e|--eeprom-dump'], ['-E|--change-eeprom'], ['-r|--negotiate'],
  ['-p|--identify'], ['-t|--test'], ['-S|--statistics', 'json'], ['--phy-statistics'], ['-n|-u|--show-nfc|--show-ntuple'],
  ['-N|-U|--config-nfc|--config-ntuple'], ['-T|--show-time-stamping'], ['-x|--show-rxfh-indir|--show-rxfh'],
  ['-X|--set-rxfh-indir|--rxfh'], ['-f|--flash'], ['-P|--show-permaddr'], ['-w|--get-dump'], ['-W|--set-dump'],
  ['-l|--show-channels'], ['-L|--set-channels'], ['--show-priv-flags'], ['--set-priv-flags'],
  ['-m|--dump-module-eeprom|--module-info'], ['--show-eee'], ['--set-eee'], ['--set-phy-tunable'], ['--get-phy-tunable'],
  ['--get-tunable'], ['--set-tunable'], ['--reset'], ['--show-fec', 'json'], ['--set-fec'], ['-Q|--per-queue'],
  ['--cable-test', 'json'], ['--cable-test-tdr', 'json'], ['--show-tunnels'], ['--show-module', 'json'], ['--set-module'],
  ['-h|--help', 'nodev'], ['--version', 'nodev'],
]);

/** ethtool 6.15: `-l` accepts `--json`; several sub-commands take `--phy`. */
export const OPTIONS_6_15 = table([
  ['', 'json'], ['-s|--change'], ['-a|--show-pause', 'json'], ['-A|--pause'], ['-c|--show-coalesce', 'json'], ['-C|--coalesce'],
  ['-g|--show-ring', 'json'], ['-G|--set-ring'], ['-k|--show-features|--show-offload', 'json'], ['-K|--features|--offload'],
  ['-i|--driver'], ['-d|--register-dump'], ['-e|--eeprom-dump'], ['-E|--change-eeprom'], ['-r|--negotiate'],
  ['-p|--identify'], ['-t|--test'], ['-S|--statistics', 'json'], ['--phy-statistics'], ['-n|-u|--show-nfc|--show-ntuple'],
  ['-N|-U|--config-nfc|--config-ntuple'], ['-T|--show-time-stamping'], ['--get-hwtimestamp-cfg'], ['--set-hwtimestamp-cfg'],
  ['-x|--show-rxfh-indir|--show-rxfh', 'json'], ['-X|--set-rxfh-indir|--rxfh'], ['-f|--flash'], ['-P|--show-permaddr'],
  ['-w|--get-dump'], ['-W|--set-dump'], ['-l|--show-channels', 'json'], ['-L|--set-channels'], ['--show-priv-flags'],
  ['--set-priv-flags'], ['-m|--dump-module-eeprom|--module-info', 'json'], ['--show-eee', 'json'], ['--set-eee'],
  ['--set-phy-tunable'], ['--get-phy-tunable'], ['--get-tunable'], ['--set-tunable'], ['--reset'], ['--show-fec', 'json'],
  ['--set-fec'], ['-Q|--per-queue'], ['--cable-test', 'json', 'phy'], ['--cable-test-tdr', 'json', 'phy'], ['--show-tunnels'],
  ['--show-module', 'json'], ['--set-module'], ['--get-plca-cfg', 'phy'], ['--set-plca-cfg', 'phy'],
  ['--get-plca-status', 'phy'], ['--show-mm', 'json'], ['--set-mm'], ['--show-pse', 'json', 'phy'], ['--set-pse', 'phy'],
  ['--flash-module-firmware'], ['--show-phys'], ['-h|--help', 'nodev'], ['--version', 'nodev'],
]);

/**
 * ethtool's `find_option`: the index of the first row (from `first`) one of whose `|`-separated
 * spellings equals `arg` exactly, or -1.
 */
export function findOption(rows: readonly OptionRow[], arg: string, first: number): number {
  for (let k = first; k < rows.length; k++) {
    if (rows[k]!.opts.split('|').includes(arg)) return k;
  }
  return -1;
}
