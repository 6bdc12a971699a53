#!/usr/bin/env node
// The API reports (api-extractor): each package's public API, as its built .d.ts declares it, in
// <package>/api/<name>.api.md, committed. Run after `npm run build`.
//   node scripts/api.mjs --update   rewrite the reports (npm run api)
//   node scripts/api.mjs            fail when a public API differs from its report (npm run api:check, CI)
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = new URL('..', import.meta.url).pathname;
const update = process.argv.includes('--update');
let failed = false;
for (const dir of ['packages/webex', 'packages/emulator', 'apps/broadcast']) {
  const config = ExtractorConfig.loadFileAndPrepare(`${root}${dir}/api-extractor.json`);
  const result = Extractor.invoke(config, {
    localBuild: update,
    messageCallback: (message) => {
      // The report lists these itself; a changed report is said once, below.
      if (message.messageId === 'console-compiler-version-notice') message.handled = true;
    },
  });
  if (!result.succeeded || (!update && result.apiReportChanged)) {
    failed = true;
    console.error(
      `api: the public API of ${dir} differs from ${dir}/api/ (see the diff above); run \`npm run api\` and commit the report`,
    );
  } else {
    console.log(`api: ${dir} ${result.apiReportChanged ? 'report updated' : 'matches its report'}`);
  }
}
process.exit(failed ? 1 : 0);
