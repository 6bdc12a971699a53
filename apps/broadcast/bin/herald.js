#!/usr/bin/env node
// The installed CLI: the built bot in this one process (`npm run build` makes dist/).
import '../dist/cli.js';
