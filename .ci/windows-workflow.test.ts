// The Windows workflow cannot run here (no Windows runner): this checks it offline, so that the
// day it runs it fails on Windows facts, not on a typo. It parses, its jobs fit together, every
// tool it calls is installed by package.json, every repository path it names exists, and every
// cargo package and feature it builds is in the workspace.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const REPO = path.resolve(import.meta.dirname, '..');
const WORKFLOW = '.github/workflows/windows.yml';

const Step = z.object({
  name: z.string().optional(),
  uses: z.string().optional(),
  run: z.string().optional(),
  with: z.record(z.string(), z.unknown()).optional(),
  env: z.record(z.string(), z.string()).optional(),
});
const Job = z.object({
  'runs-on': z.string(),
  needs: z.union([z.string(), z.array(z.string())]).optional(),
  defaults: z.object({ run: z.object({ shell: z.string(), 'working-directory': z.string().optional() }) }).optional(),
  steps: z.array(Step).min(1),
});
const Workflow = z.object({
  name: z.string(),
  on: z.record(z.string(), z.unknown()),
  env: z.record(z.string(), z.string()).optional(),
  jobs: z.record(z.string(), Job),
});
type Workflow = z.infer<typeof Workflow>;

// Actions it may use, at the major versions it was written against.
const ACTIONS = new Set([
  'actions/checkout@v4',
  'actions/setup-node@v4',
  'actions/upload-artifact@v4',
  'actions/download-artifact@v4',
  'ilammy/msvc-dev-cmd@v1',
]);

// What the workflow itself produces or the runner provides (not in the repository).
const PRODUCED = [/^target\//, /^package(\/|$)/, /^dist-installers\//, /^release\//, /^driver\/package$/];

function workflow(): Workflow {
  return Workflow.parse(load(readFileSync(path.join(REPO, WORKFLOW), 'utf8')));
}

/** Repository paths a run script names: words with a slash that are not URLs or variables. */
function namedPaths(script: string): string[] {
  const words = script.match(/[A-Za-z0-9_.*-]+(?:\/[A-Za-z0-9_.*-]+)+/g) ?? [];
  return words.filter((word) => !word.includes('$') && !/^(https?|Cert)/.test(word) && !word.startsWith('CN='));
}

describe(`${WORKFLOW} (validated offline)`, () => {
  it('parses into the two jobs, the app built on the driver job artifact', () => {
    const { jobs } = workflow();
    expect(Object.keys(jobs).sort()).toEqual(['app', 'driver']);
    expect(jobs['app']?.needs).toBe('driver');
    for (const job of Object.values(jobs)) expect(job['runs-on']).toMatch(/^windows-/);
    const uploaded = jobs['driver']?.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))?.with?.['name'];
    const downloaded = jobs['app']?.steps.find((s) => s.uses?.startsWith('actions/download-artifact'))?.with;
    expect(uploaded).toBeDefined();
    expect(downloaded?.['name']).toBe(uploaded);
  });

  it('uses only known actions at pinned major versions', () => {
    for (const job of Object.values(workflow().jobs)) {
      for (const step of job.steps) if (step.uses !== undefined) expect(ACTIONS).toContain(step.uses);
    }
  });

  it('names only paths that exist in the repository (or that it produces)', () => {
    const missing: string[] = [];
    for (const job of Object.values(workflow().jobs)) {
      const dir = job.defaults?.run['working-directory'] ?? '.';
      for (const step of job.steps) {
        for (const named of namedPaths(step.run ?? '')) {
          if (PRODUCED.some((pattern) => pattern.test(named))) continue;
          const plain = named.replace(/\/\*.*$/, '');
          if (!existsSync(path.join(REPO, dir, plain))) missing.push(`${dir}/${named} (${step.name ?? ''})`);
        }
      }
    }
    expect(missing, missing.join(', ')).toEqual([]);
  });

  it('calls only tools package.json installs', () => {
    const tools = new Set<string>();
    for (const job of Object.values(workflow().jobs)) {
      for (const step of job.steps)
        for (const [, tool] of (step.run ?? '').matchAll(/npx ([a-z-]+)/g)) tools.add(tool ?? '');
    }
    expect([...tools].sort()).toEqual(['electron-builder', 'playwright', 'tsc', 'vite', 'vitest']);
    for (const tool of tools) expect(existsSync(path.join(REPO, 'node_modules', '.bin', tool)), tool).toBe(true);
  });

  it('builds cargo packages and features the workspace has', () => {
    const packages = new Set<string>();
    const scripts = Object.values(workflow().jobs)
      .flatMap((job) => job.steps.map((step) => step.run ?? ''))
      .join('\n');
    for (const [, name] of scripts.matchAll(/(?:^|\s)-p ([a-z][a-z-]*)(?=\s|$)/gm)) packages.add(name ?? '');
    const manifests = ['core', 'protocol', 'windows'].map((crate) =>
      readFileSync(path.join(REPO, 'driver', crate, 'Cargo.toml'), 'utf8'),
    );
    const names = manifests.map((manifest) => /^name = "([^"]+)"/m.exec(manifest)?.[1]);
    for (const name of packages) expect(names).toContain(name);
    expect(scripts).toContain('--features kernel');
    expect(manifests[2]).toMatch(/^\[features\][\s\S]*^kernel = /m);
  });

  it('uses the kit version the driver README documents, and the driver dir the installer reads', () => {
    const flow = workflow();
    const version = flow.env?.['KITS_VERSION'] ?? '';
    expect(readFileSync(path.join(REPO, 'driver', 'windows', 'README.md'), 'utf8')).toContain(
      version.replace(/\.0$/, ''),
    );
    const builder = readFileSync(path.join(REPO, 'electron-builder.yml'), 'utf8');
    expect(builder).toContain('${env.ZF_WINDOWS_DRIVER_DIR}');
    const pack = flow.jobs['app']?.steps.find((step) => step.run?.includes('electron-builder'));
    const downloadedTo = flow.jobs['app']?.steps.find((s) => s.uses?.startsWith('actions/download-artifact'))?.with?.[
      'path'
    ];
    expect(pack?.env?.['ZF_WINDOWS_DRIVER_DIR']).toBe(downloadedTo);
  });
});
