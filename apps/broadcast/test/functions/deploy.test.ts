/**
 * The deployment files (deploy/aws, deploy/azure) name handlers and settings that exist: each entry
 * imports a subpath that `@herald/broadcast`'s `exports` (read from its package.json) resolves to
 * a file that has the handler, and each environment variable is one the package reads.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { loadSettings } from '../../src/config.js';
import { DRAIN_EVENT } from '../../src/functions/lambda.js';
import { FUNCTION_ENV_VARS, loadFunctionSettings } from '../../src/functions/settings.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const PKG_DIR = join(ROOT, 'apps/broadcast');
const pkg = JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, { types: string; default: string }>;
};
/** Settings the platform itself reads, not the bot. */
const PLATFORM_SETTINGS = new Set(['FUNCTIONS_WORKER_RUNTIME', 'AzureWebJobsStorage']);

/** The `@herald/broadcast/...` specifiers an entry file imports, each resolved through `exports`. */
function resolveImports(entry: string): Array<{ specifier: string; file: string }> {
  const text = readFileSync(entry, 'utf8');
  const specs = [...text.matchAll(/from '([^']+)'|import '([^']+)'/g)].map((m) => m[1] ?? m[2]!);
  assert.ok(specs.length > 0, `${entry} imports the package`);
  return specs.map((specifier) => {
    assert.ok(specifier.startsWith(`${pkg.name}/`), `${specifier} is a subpath of ${pkg.name}`);
    const target = pkg.exports[`.${specifier.slice(pkg.name.length)}`];
    assert.ok(target, `${pkg.name}'s exports have ${specifier}`);
    const file = join(PKG_DIR, target.default);
    assert.ok(existsSync(file), `${specifier} resolves to a file`);
    return { specifier, file };
  });
}

function checkSettings(names: string[], where: string): void {
  const read = loadSettings.toString() + loadFunctionSettings.toString();
  for (const name of names) {
    if (PLATFORM_SETTINGS.has(name)) continue;
    assert.ok(
      (FUNCTION_ENV_VARS as readonly string[]).includes(name),
      `${where}: ${name} is a function-mode setting`,
    );
    assert.ok(read.includes(name), `${where}: ${name} is read by the settings loaders`);
  }
}

describe('deploy/aws (SAM)', () => {
  const dir = join(ROOT, 'deploy/aws');
  const template = parse(readFileSync(join(dir, 'template.yaml'), 'utf8'));
  const fn = template.Resources.BotFunction;

  it('names a handler the package exports', async () => {
    assert.equal(fn.Type, 'AWS::Serverless::Function');
    const [file, exported] = String(fn.Properties.Handler).split('.');
    const entry = join(dir, fn.Properties.CodeUri, `${file}.mjs`);
    assert.ok(existsSync(entry), `${entry} exists`);
    const target = resolveImports(entry)[0]!.file;
    const mod = (await import(pathToFileURL(target).href)) as Record<string, unknown>;
    assert.equal(typeof mod[exported!], 'function', `${exported} is exported`);
    const viaEntry = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
    assert.equal(viaEntry[exported!], mod[exported!], 'the entry re-exports the package handler');
  });

  it('has a function URL, a one-minute schedule that sends a drain event, and known settings', () => {
    assert.deepEqual(fn.Properties.FunctionUrlConfig, { AuthType: 'NONE' });
    const schedule = fn.Properties.Events.Drain.Properties;
    assert.equal(schedule.ScheduleExpression, 'rate(1 minute)');
    assert.deepEqual(JSON.parse(schedule.Input), DRAIN_EVENT);
    checkSettings(Object.keys(fn.Properties.Environment.Variables), 'template.yaml');
    const margin = Number(fn.Properties.Environment.Variables.HERALD_DRAIN_MARGIN_MS);
    assert.ok(margin < fn.Properties.Timeout * 1000, 'the margin fits in the timeout');
  });
});

describe('deploy/azure (function app)', () => {
  const dir = join(ROOT, 'deploy/azure');
  const app = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { main: string };
  const host = JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')) as {
    version: string;
    functionTimeout: string;
  };
  const local = JSON.parse(readFileSync(join(dir, 'local.settings.example.json'), 'utf8')) as {
    Values: Record<string, string>;
  };

  it("its main registers the package's Azure app, whose handlers exist", async () => {
    const entry = join(dir, app.main);
    assert.ok(existsSync(entry), `${app.main} exists`);
    const file = resolveImports(entry)[0]!.file;
    const mod = (await import(pathToFileURL(file).href)) as { AZURE_FUNCTIONS?: Record<string, string> };
    assert.deepEqual(Object.keys(mod.AZURE_FUNCTIONS ?? {}).sort(), ['queue', 'timer', 'webhook']);
    const handlers = (await import(
      pathToFileURL(file.replace(/azure(\.[cm]?[jt]s)$/, 'azure-handlers$1')).href
    )) as Record<string, unknown>;
    assert.equal(typeof handlers.createAzureHandlers, 'function');
  });

  it('host.json allows a drain of the configured budget plus its margin; settings are known', () => {
    assert.equal(host.version, '2.0');
    const [h, m, s] = host.functionTimeout.split(':').map(Number) as [number, number, number];
    const timeoutMs = ((h * 60 + m) * 60 + s) * 1000;
    const budget = Number(local.Values.HERALD_DRAIN_BUDGET_MS);
    assert.ok(budget < timeoutMs, `HERALD_DRAIN_BUDGET_MS ${budget} under functionTimeout ${timeoutMs}`);
    checkSettings(Object.keys(local.Values), 'local.settings.example.json');
  });
});
