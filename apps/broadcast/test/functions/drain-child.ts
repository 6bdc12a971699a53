/**
 * A drain invocation in a process of its own, for the kill test: the Lambda handler under
 * lambda-local, settings and schema from the environment. The parent kills it with SIGKILL.
 */
import lambdaLocal from 'lambda-local';
import { FunctionCore } from '../../src/functions/core.js';
import { createLambdaHandler, DRAIN_EVENT } from '../../src/functions/lambda.js';
import type { FunctionSettings } from '../../src/functions/settings.js';

const settings = JSON.parse(process.env.HERALD_TEST_SETTINGS ?? '{}') as FunctionSettings;
const core = new FunctionCore(settings, { schema: process.env.HERALD_TEST_SCHEMA, pollMs: 50 });
const handler = createLambdaHandler({ core: () => core, kick: () => {} });
await lambdaLocal.execute({
  event: DRAIN_EVENT,
  lambdaFunc: { handler },
  lambdaHandler: 'handler',
  timeoutMs: 120_000,
  verboseLevel: 0,
});
await core.close();
