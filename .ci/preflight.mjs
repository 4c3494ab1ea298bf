#!/usr/bin/env node
// Checks the prerequisites of `npm install` (mode "build") and `npm test` (mode "test") and stops
// with one sentence naming what is missing and how to install it on Debian/Ubuntu.
// Plain JavaScript so it also runs on the machine's own Node before node_modules exists.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const mode = process.argv[2] === 'test' ? 'test' : 'build';
const MIN_RUST = [1, 82];

/** Runs a command and returns its stdout, or null when it cannot run. */
function output(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return null;
  }
}

function rustProblem() {
  const version = output('cargo', ['--version']);
  if (version === null) {
    return 'The Rust toolchain (cargo) is missing: install Rust 1.82 or newer with rustup (https://rustup.rs), e.g. `curl --proto =https -sSf https://sh.rustup.rs | sh -s -- -y`, then open a new shell.';
  }
  const match = /cargo (\d+)\.(\d+)/.exec(version);
  const [major, minor] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if (major < MIN_RUST[0] || (major === MIN_RUST[0] && minor < MIN_RUST[1])) {
    return `Rust ${MIN_RUST.join('.')} or newer is needed but ${version.trim()} is installed: run \`rustup update stable\` (Debian's own cargo package is too old).`;
  }
  return null;
}

function lintToolsProblem() {
  if (output('cargo', ['fmt', '--version']) === null || output('cargo', ['clippy', '--version']) === null) {
    return 'rustfmt and clippy are missing: install them with `rustup component add rustfmt clippy`.';
  }
  return null;
}

export function chromiumPath() {
  return process.env.ZF_CHROMIUM ?? '/usr/bin/chromium';
}

function chromiumProblem() {
  if (!existsSync(chromiumPath())) {
    return `Chromium is missing at ${chromiumPath()}: install it with \`sudo apt-get install -y chromium\` (or set ZF_CHROMIUM to its path); the end-to-end tests never download a browser.`;
  }
  return null;
}

function iptablesProblem() {
  const version = output('iptables', ['-V']) ?? output('/usr/sbin/iptables', ['-V']);
  if (version === null || !version.includes('nf_tables')) {
    return 'iptables-nft is missing: install it with `sudo apt-get install -y iptables` and select the nft backend with `sudo update-alternatives --set iptables /usr/sbin/iptables-nft`.';
  }
  return null;
}

function networkToolsProblem() {
  const tools = [
    ['nft', ['--version'], 'nftables'],
    ['ip', ['-V'], 'iproute2'],
    ['curl', ['--version'], 'curl'],
    ['/usr/bin/python3', ['--version'], 'python3'],
  ];
  const missing = tools.filter(([command, args]) => output(command, args) === null).map(([, , pkg]) => pkg);
  if (missing.length > 0) {
    return `The driver tests need ${missing.join(', ')}: install with \`sudo apt-get install -y ${missing.join(' ')}\`.`;
  }
  return null;
}

function rootProblem() {
  if (process.getuid?.() === 0) return null;
  if (process.env.ZF_SKIP_ROOT_TESTS === '1') {
    console.log(
      'preflight: ZF_SKIP_ROOT_TESTS=1 is set, so the tests that need root (network namespaces, NFQUEUE) are SKIPPED.',
    );
    return null;
  }
  return 'The driver tests create network namespaces and need root: run `sudo npm test`, or set ZF_SKIP_ROOT_TESTS=1 to skip them knowingly.';
}

const checks =
  mode === 'build'
    ? [rustProblem]
    : [rustProblem, lintToolsProblem, chromiumProblem, iptablesProblem, networkToolsProblem, rootProblem];
for (const check of checks) {
  const problem = check();
  if (problem !== null) {
    console.error(`preflight: ${problem}`);
    process.exit(1);
  }
}
console.log(`preflight (${mode}): all prerequisites found.`);
