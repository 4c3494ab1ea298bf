// driver.nsh compiles with Debian's makensis in harness.nsi, in both of electron-builder's passes
// with warnings as errors; a broken include fails. Its names and settings agree with the driver's
// INF and sources (service, start type, the boot guard's WFP keys, the RemoveGuard value), and its
// uninstall steps come in the order that leaves no boot guard behind. What it does on Windows is in
// resources/README.md's manual checklist.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, run } from '../../test-support/packaging.ts';
import { MAKENSIS, requireTool } from '../../test-support/tools.ts';

const HERE = path.join(REPO_ROOT, 'resources', 'installer', 'windows');
const INCLUDE = path.join(HERE, 'driver.nsh');
const HARNESS = path.join(HERE, 'harness.nsi');
const DRIVER_SRC = path.join(REPO_ROOT, 'driver', 'windows', 'src');
const INF = readFileSync(path.join(REPO_ROOT, 'driver', 'windows', 'ZenithFence.inf'), 'utf8');
const include = readFileSync(INCLUDE, 'utf8');
const driverSource = (file: string): string => readFileSync(path.join(DRIVER_SRC, file), 'utf8');

let scratch = '';
beforeAll(() => {
  requireTool(MAKENSIS);
  scratch = mkdtempSync(path.join(os.tmpdir(), 'zf-nsis-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Compiles the harness around `includeFile`; the uninstaller pass when `uninstaller`. */
function compile(includeFile: string, uninstaller: boolean) {
  const out = path.join(scratch, uninstaller ? 'harness-uninstaller.exe' : 'harness-installer.exe');
  const args = ['-V2', '-WX', `-DZF_INCLUDE=${includeFile}`, `-DZF_OUTFILE=${out}`];
  if (uninstaller) args.push('-DBUILD_UNINSTALLER');
  const result = run('makensis', [...args, HARNESS], { cwd: scratch });
  return { ...result, output: `${result.stdout}${result.stderr}` };
}

/** The lines between `!macro NAME` and its `!macroend`. */
function macroBody(name: string): string {
  const body = new RegExp(`^!macro ${name}\\b[^\\n]*\\n([\\s\\S]*?)^!macroend`, 'm').exec(include)?.[1];
  if (body === undefined) throw new Error(`driver.nsh has no macro ${name}`);
  return body;
}

/** Each step occurs in `body` exactly once, and in the order given. */
function expectOnceInOrder(body: string, steps: readonly string[]): void {
  for (const step of steps) {
    expect(body.split(step).length - 1, step).toBe(1);
  }
  const positions = steps.map((step) => body.indexOf(step));
  expect(positions).toEqual([...positions].sort((a, b) => a - b));
}

/** The value of `!define NAME "value"` (or unquoted) in driver.nsh. */
function nsisDefine(name: string): string {
  const value = new RegExp(`^!define ${name} "?([^"\\r\\n]*)"?$`, 'm').exec(include)?.[1];
  if (value === undefined) throw new Error(`driver.nsh defines no ${name}`);
  return value;
}

/** What `GUID::from_u128(0x...)` in the driver's sources spells as a string: `{xxxxxxxx-...}`. */
function guidOf(value: bigint): string {
  const hex = value.toString(16).padStart(32, '0');
  return `{${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}}`;
}

/** The Rust integer literal after `prefix` in `source` (underscores allowed). */
function rustLiteral(source: string, prefix: string): bigint {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const literal = new RegExp(`${escaped}\\s*(0x[0-9a-fA-F_]+|\\d+)`).exec(source)?.[1];
  if (literal === undefined) throw new Error(`no literal after ${prefix}`);
  return BigInt(literal.replaceAll('_', ''));
}

/** A copy of driver.nsh with `from` replaced by `to`. */
function brokenInclude(name: string, from: string, to: string): string {
  expect(include).toContain(from);
  const file = path.join(scratch, name);
  writeFileSync(file, include.replace(from, to));
  return file;
}

describe('driver.nsh with makensis', () => {
  it('compiles in the installer pass (customInit, customInstall; -WX)', () => {
    const result = compile(INCLUDE, false);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('compiles in the uninstaller pass (BUILD_UNINSTALLER, customUnInstall; -WX)', () => {
    const result = compile(INCLUDE, true);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('a deliberately broken include fails: a mistyped command', () => {
    // In customInstall (the installer pass); the first occurrence in the file is in an uninstall macro.
    const file = brokenInclude(
      'typo.nsh',
      'zfSaveRegisters\n  ${DisableX64FSRedirection}',
      'zfSaveRegisters\n  ${DisableX64FSRedirectio}',
    );
    const result = compile(file, false);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('Invalid command: "${DisableX64FSRedirectio}"');
  });

  it('a deliberately broken include fails: an unused variable is a warning, and warnings are errors', () => {
    const file = brokenInclude(
      'unused-var.nsh',
      'Var /GLOBAL zfError',
      'Var /GLOBAL zfError\n  Var /GLOBAL zfNeverUsed',
    );
    const result = compile(file, false);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('Variable "zfNeverUsed" not referenced');
  });

  it('a deliberately broken include fails: customUnInstall missing', () => {
    const file = brokenInclude('no-uninstall.nsh', '!macro customUnInstall', '!macro zfSomethingElse');
    const result = compile(file, true);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('The include defines no customUnInstall macro.');
  });
});

describe("driver.nsh agrees with the driver's INF and the app", () => {
  it('is plain ASCII (makensis reads an include in the system code page)', () => {
    const notAscii = [...include].filter((c) => c.charCodeAt(0) > 0x7e || (c < ' ' && !'\t\n\r'.includes(c)));
    expect(notAscii).toEqual([]);
  });

  const infValue = (key: string): string => {
    const value = new RegExp(`^${key}\\s*=\\s*"?([^";\\r\\n]+?)"?\\s*(;.*)?$`, 'm').exec(INF)?.[1];
    if (value === undefined) throw new Error(`ZenithFence.inf has no ${key}`);
    return value;
  };

  it("service name, driver file and image path are the INF's", () => {
    expect(include).toContain(`!define ZF_SERVICE "${infValue('ServiceName')}"`);
    expect(INF).toMatch(/^ZenithFence\.sys = 1/m);
    expect(include).toContain('!define ZF_DRIVER_FILE "ZenithFence.sys"');
    // %12% is System32\drivers.
    expect(infValue('ServiceBinary')).toBe('%12%\\ZenithFence.sys');
    expect(include).toContain('!define ZF_IMAGE_PATH "\\SystemRoot\\System32\\drivers\\ZenithFence.sys"');
  });

  it('an auto-start kernel service after BFE with normal error control, as the INF registers it', () => {
    expect(infValue('ServiceType')).toBe('1'); // SERVICE_KERNEL_DRIVER
    expect(infValue('StartType')).toBe('2'); // SERVICE_AUTO_START: the stored policy applies from boot
    expect(infValue('ErrorControl')).toBe('1'); // SERVICE_ERROR_NORMAL
    expect(infValue('Dependencies')).toBe('BFE'); // the driver registers with the Base Filtering Engine
    // A first installation creates it so; an update turns an older demand-start service into it.
    for (const verb of ['create', 'config']) {
      expect(include).toContain(
        `sc.exe" ${verb} \${ZF_SERVICE} type= kernel start= auto error= normal depend= BFE binPath= "\${ZF_IMAGE_PATH}"`,
      );
    }
    expect(include).not.toContain('start= demand');
  });

  it('removes the driver only on a real uninstall, and starts the app through an elevated logon task', () => {
    expect(include).toMatch(/!macro customUnInstall\s+\$\{IfNot\} \$\{isUpdated\}/);
    expect(include).toContain('<LogonTrigger>');
    expect(include).toContain('<RunLevel>HighestAvailable</RunLevel>');
    expect(include).toContain('<ExecutionTimeLimit>PT0S</ExecutionTimeLimit>');
    expect(include).toContain('schtasks.exe" /Create /TN "${ZF_TASK}" /XML');
  });
});

describe('driver.nsh removes the boot guard on a real uninstall, and only then', () => {
  const uninstall = macroBody('customUnInstall');

  it('the whole uninstall is one ${IfNot} ${isUpdated} block: an update runs none of it', () => {
    const lines = uninstall
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith(';'));
    expect(lines[0]).toBe('${IfNot} ${isUpdated}');
    let depth = 0;
    lines.forEach((line, index) => {
      if (/^\$\{(If|IfNot)\}/.test(line)) depth += 1;
      if (depth === 1) expect(line, 'no ${Else} for the update case').not.toMatch(/^\$\{Else(If)?\}/);
      if (line === '${EndIf}') depth -= 1;
      // Nothing runs outside the block: it closes on the last line only.
      if (index < lines.length - 1) expect(depth, line).toBeGreaterThan(0);
    });
    expect(lines.at(-1)).toBe('${EndIf}');
    expect(depth).toBe(0);
  });

  it('starts the driver if needed, asks its unload to remove the guard, stops it, removes the guard itself, then deletes the service', () => {
    expectOnceInOrder(uninstall, [
      '${IfNot} ${isUpdated}',
      '"$SYSDIR\\sc.exe" query ${ZF_SERVICE}',
      '"$SYSDIR\\sc.exe" start ${ZF_SERVICE}',
      'WriteRegDWORD HKLM "${ZF_PARAMETERS_KEY}" "${ZF_REMOVE_GUARD_VALUE}" 1',
      '!insertmacro zfStopService',
      '!insertmacro zfRemoveBootGuard',
      '"$SYSDIR\\sc.exe" delete ${ZF_SERVICE}',
      'Delete /REBOOTOK "$SYSDIR\\drivers\\${ZF_DRIVER_FILE}"',
    ]);
    // A driver that is already running is fine (sc.exe's 1056), and so is one that cannot start:
    // the uninstaller's own removal follows either way.
    expect(uninstall).toContain('${AndIf} $0 != ${ZF_ERROR_SERVICE_ALREADY_RUNNING}');
  });

  it('the value and its key are the ones the driver reads at unload', () => {
    const guardRemoval = driverSource('guard_removal.rs');
    const valueName = /pub const REMOVE_GUARD_VALUE: &str = "(\w+)";/.exec(guardRemoval)?.[1];
    expect(valueName).toBeDefined();
    expect(nsisDefine('ZF_REMOVE_GUARD_VALUE')).toBe(valueName);
    expect(rustLiteral(guardRemoval, 'pub const REMOVE_GUARD_YES: u32 =')).toBe(1n);
    const subkey = /pub const PARAMETERS_SUBKEY: &str = "(\w+)";/.exec(driverSource('stored_policy.rs'))?.[1];
    expect(nsisDefine('ZF_PARAMETERS_KEY')).toBe(`SYSTEM\\CurrentControlSet\\Services\\\${ZF_SERVICE}\\${subkey}`);
  });

  it("deletes the driver's guard keys itself: 24 filters, then the 4 callouts and the sublayer they use", () => {
    const bootGuard = driverSource('boot_guard.rs');
    const base = rustLiteral(bootGuard, 'const GUARD_FILTER_KEY_BASE: u128 =');
    const filterKeys = Array.from({ length: 24 }, (_, i) => guidOf(base + BigInt(i)));
    const prefix = nsisDefine('ZF_GUARD_FILTER_KEY_PREFIX');
    const count = Number(nsisDefine('ZF_GUARD_FILTER_COUNT'));
    const nsisFilterKeys = Array.from({ length: count }, (_, i) => `${prefix}${i.toString(16).padStart(2, '0')}}`);
    expect(nsisFilterKeys).toEqual(filterKeys);

    const calloutTable = /pub const GUARD_CALLOUTS[\s\S]*?\n\];/.exec(bootGuard)?.[0] ?? '';
    const calloutKeys = [...calloutTable.matchAll(/0x[0-9a-f]{8}(?:_[0-9a-f]{4}){3}_[0-9a-f]{12}/g)].map(([literal]) =>
      guidOf(BigInt(literal.replaceAll('_', ''))),
    );
    expect(calloutKeys).toHaveLength(4);
    const nsisCallouts = ['CONNECT_V4', 'CONNECT_V6', 'RECV_ACCEPT_V4', 'RECV_ACCEPT_V6'].map((name) =>
      nsisDefine(`ZF_GUARD_CALLOUT_${name}`),
    );
    expect(nsisCallouts).toEqual(calloutKeys);
    expect(nsisDefine('ZF_GUARD_SUBLAYER')).toBe(
      guidOf(rustLiteral(bootGuard, 'pub const GUARD_SUBLAYER_KEY: GUID = GUID::from_u128(')),
    );

    const removal = macroBody('zfRemoveBootGuard');
    expectOnceInOrder(removal, [
      '${EnableX64FSRedirection}',
      'fwpuclnt::FwpmEngineOpen0(',
      '!insertmacro zfDeleteWfpObject FwpmFilterDeleteByKey0 "${ZF_GUARD_FILTER_KEY_PREFIX}$R7}" ${ZF_FWP_E_FILTER_NOT_FOUND}',
      '${LoopUntil} $1 >= ${ZF_GUARD_FILTER_COUNT}',
      'FwpmCalloutDeleteByKey0 "${ZF_GUARD_CALLOUT_CONNECT_V4}" ${ZF_FWP_E_CALLOUT_NOT_FOUND}',
      'FwpmCalloutDeleteByKey0 "${ZF_GUARD_CALLOUT_CONNECT_V6}" ${ZF_FWP_E_CALLOUT_NOT_FOUND}',
      'FwpmCalloutDeleteByKey0 "${ZF_GUARD_CALLOUT_RECV_ACCEPT_V4}" ${ZF_FWP_E_CALLOUT_NOT_FOUND}',
      'FwpmCalloutDeleteByKey0 "${ZF_GUARD_CALLOUT_RECV_ACCEPT_V6}" ${ZF_FWP_E_CALLOUT_NOT_FOUND}',
      'FwpmSubLayerDeleteByKey0 "${ZF_GUARD_SUBLAYER}" ${ZF_FWP_E_SUBLAYER_NOT_FOUND}',
      'fwpuclnt::FwpmEngineClose0(',
      '${DisableX64FSRedirection}',
    ]);
    expect(removal).toContain('IntFmt $R7 "%02x" $1');
  });

  it('counts a key as gone on the same "not found" codes as the driver\'s kernel side', () => {
    // User mode returns FWP_E_* (0x8032xxxx), the kernel STATUS_FWP_* (0xC022xxxx): same code.
    const fwpStatus = driverSource(path.join('bindings', 'guard.rs'));
    for (const [nsis, rust] of [
      ['ZF_FWP_E_CALLOUT_NOT_FOUND', 'CALLOUT_NOT_FOUND'],
      ['ZF_FWP_E_FILTER_NOT_FOUND', 'FILTER_NOT_FOUND'],
      ['ZF_FWP_E_SUBLAYER_NOT_FOUND', 'SUBLAYER_NOT_FOUND'],
    ] as const) {
      const kernel = rustLiteral(fwpStatus, `pub const ${rust}: NTSTATUS =`);
      const user = BigInt(nsisDefine(nsis));
      expect(kernel >> 16n, rust).toBe(0xc022n);
      expect(user >> 16n, nsis).toBe(0x8032n);
      expect(user & 0xffffn, nsis).toBe(kernel & 0xffffn);
    }
  });

  it('installing and updating never remove the guard, and clear a RemoveGuard value left behind first', () => {
    const install = macroBody('customInstall');
    const rollBack = macroBody('zfRollBack');
    for (const body of [install, rollBack]) {
      expect(body).not.toContain('zfRemoveBootGuard');
      expect(body).not.toContain('WriteRegDWORD');
    }
    // Before the first stop of an installed driver: that stop must keep the guard.
    expectOnceInOrder(install, [
      'DeleteRegValue HKLM "${ZF_PARAMETERS_KEY}" "${ZF_REMOVE_GUARD_VALUE}"',
      '!insertmacro zfStopService',
    ]);
  });
});
