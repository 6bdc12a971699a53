#!/usr/bin/env node
// The installed CLI: the built emulator in this one process (`npm run build` makes dist/).
import { run } from '../dist/cli.js';

run(process.argv.slice(2));
