// Runs a CloudFront Function's handler under node the way CloudFront calls it:
// node run_function.js FUNCTION.js EVENTS.json -> JSON list of what handler() returned.
// The function runs in a fresh VM context with no require/process, as in cloudfront-js-2.0.
'use strict';
const fs = require('fs');
const vm = require('vm');
const [code, events] = [fs.readFileSync(process.argv[2], 'utf8'), JSON.parse(fs.readFileSync(process.argv[3], 'utf8'))];
const context = vm.createContext({});
vm.runInContext(code, context, { filename: process.argv[2] });
if (typeof context.handler !== 'function') throw new Error('no handler() in ' + process.argv[2]);
const out = events.map((event) => context.handler(event));
process.stdout.write(JSON.stringify(out));
