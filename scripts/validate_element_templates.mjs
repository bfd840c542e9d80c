// Validate every element template against Camunda's JSON schema (C7) with bpmn-io's validator.
//
//   node scripts/validate_element_templates.mjs NODE_MODULES_DIR element-templates/*.json
//
// NODE_MODULES_DIR holds @bpmn-io/element-templates-validator (installed by .ci/run into a
// temporary folder, never committed). Exits 1 and prints each error when a template is invalid.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const [modules, ...files] = process.argv.slice(2);
if (!modules || files.length === 0) {
  console.error('usage: node validate_element_templates.mjs NODE_MODULES_DIR FILE...');
  process.exit(2);
}
const require = createRequire(path.resolve(modules, 'package.json'));
const { validate } = require('@bpmn-io/element-templates-validator');

let failed = 0;
for (const file of files) {
  const { valid, errors } = validate(readFileSync(file, 'utf-8'));
  if (!valid) {
    failed += 1;
    for (const error of errors) {
      console.error(`${file}: ${error.dataPath || '/'} ${error.message}`);
    }
  }
}
console.log(`${files.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
