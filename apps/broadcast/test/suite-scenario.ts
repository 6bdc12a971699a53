/** One scenario for all the tests of a `describe`, instead of one per test. */
import { after, before } from 'node:test';
import { type Scenario, type ScenarioOptions, startScenario } from './scenario.js';

/**
 * The scenario of the enclosing `describe`: started from `options` before its tests, stopped after
 * them. The answer stands for that scenario inside the tests; touched before they run, it throws.
 */
export function suiteScenario(options: ScenarioOptions): Scenario {
  let current: Scenario | undefined;
  before(async () => {
    current = await startScenario(options);
  });
  after(() => current?.stop());
  return new Proxy({} as Scenario, {
    get(_, key) {
      if (!current) throw new Error('the suite scenario is used before its tests started it');
      const value: unknown = Reflect.get(current, key);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}
