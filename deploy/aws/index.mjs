// The Lambda entry SAM names (template.yaml: Handler index.handler).
export { handler } from '@herald/broadcast/functions/lambda';
