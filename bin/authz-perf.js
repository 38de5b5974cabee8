#!/usr/bin/env node
// Thin shim: the CLI is written in TypeScript and built into dist/ by `npm install` (prepare).
import { main } from '../dist/src/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
