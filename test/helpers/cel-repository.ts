/**
 * A generated Cerbos-style policy repository: every policy kind (resource, scoped resource,
 * derived roles, principal, role, exportVariables), the deprecated top-level `variables:`, rule
 * outputs (`when.ruleActivated`, `when.conditionNotMet`, the older `output.expr`) and
 * multi-document files, with the file and line of every CEL expression written. Beside them,
 * files the engine's loader skips (test suites, `testdata/`, `_schemas/`, hidden folders).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateCorpus } from '../../src/cel/corpus.js';

export interface WrittenExpression {
  file: string;
  line: number;
  text: string;
}

export interface CelRepository {
  files: Array<{ file: string; text: string }>;
  expressions: WrittenExpression[];
}

const KINDS = ['resource', 'derivedRoles', 'principal', 'role', 'exportVariables', 'multiDocument', 'scopedResource'] as const;

/** `fileCount` policy files of about `perFile` expressions each, cycling through the kinds. */
export function generateCelRepository(fileCount: number, perFile: number, seed = 1): CelRepository {
  const corpus = generateCorpus(fileCount * (perFile + 8), seed);
  let next = 0;
  const expr = (): string => corpus[next++ % corpus.length]!;
  const files: CelRepository['files'] = [];
  const expressions: WrittenExpression[] = [];
  for (let i = 0; i < fileCount; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const file = `policies/${kind}/${kind}_${String(i).padStart(4, '0')}.yaml`;
    const lines: string[] = [];
    /** adds `prefix` + the expression as a double-quoted scalar, recording its line */
    const withExpr = (prefix: string): void => {
      const text = expr();
      lines.push(`${prefix}${JSON.stringify(text)}`);
      expressions.push({ file, line: lines.length, text });
    };
    const rules = Math.max(1, Math.floor(perFile / 4));
    const resourcePolicy = (resource: string, scope: string | null, legacyVariables: boolean): void => {
      lines.push('apiVersion: api.cerbos.dev/v1');
      if (legacyVariables) {
        lines.push('variables:');
        withExpr('  legacy_flag: ');
      }
      lines.push('resourcePolicy:', `  resource: ${resource}`, '  version: default');
      if (scope) lines.push(`  scope: ${scope}`);
      lines.push('  variables:', '    local:');
      withExpr('      is_owner: ');
      lines.push('  rules:');
      for (let r = 0; r < rules; r++) {
        lines.push(`    - name: rule_${r}`, '      actions: ["view"]', '      effect: EFFECT_ALLOW', '      roles: ["user"]', '      condition:', '        match:');
        if (r % 2 === 0) {
          withExpr('          expr: ');
        } else {
          lines.push('          all:', '            of:');
          withExpr('              - expr: ');
          withExpr('              - expr: ');
        }
        if (r % 3 === 0) {
          lines.push('      output:', '        when:');
          withExpr('          ruleActivated: ');
          withExpr('          conditionNotMet: ');
        } else if (r % 3 === 1) {
          lines.push('      output:');
          withExpr('        expr: ');
        }
      }
    };
    switch (kind) {
      case 'resource':
        resourcePolicy(`doc_${i}`, null, true);
        break;
      case 'scopedResource':
        resourcePolicy(`doc_${i}`, `tenant_${i}`, false);
        break;
      case 'multiDocument':
        resourcePolicy(`first_${i}`, null, false);
        lines.push('---');
        resourcePolicy(`second_${i}`, null, false);
        break;
      case 'derivedRoles':
        lines.push('apiVersion: api.cerbos.dev/v1', 'derivedRoles:', `  name: roles_${i}`, '  definitions:');
        for (let r = 0; r < rules * 2; r++) {
          lines.push(`    - name: derived_${r}`, '      parentRoles: ["user"]', '      condition:', '        match:');
          withExpr('          expr: ');
        }
        break;
      case 'principal':
        lines.push('apiVersion: api.cerbos.dev/v1', 'principalPolicy:', `  principal: user_${i}`, '  version: default', '  rules:');
        for (let r = 0; r < rules; r++) {
          lines.push(`    - resource: doc_${r}`, '      actions:');
          lines.push('        - action: "view"', '          effect: EFFECT_ALLOW', '          condition:', '            match:');
          withExpr('              expr: ');
          lines.push('          output:', '            when:');
          withExpr('              ruleActivated: ');
          lines.push('        - action: "edit"', '          effect: EFFECT_DENY', '          condition:', '            match:');
          withExpr('              expr: ');
        }
        break;
      case 'role':
        lines.push('apiVersion: api.cerbos.dev/v1', 'rolePolicy:', `  role: custom_${i}`, '  parentRoles: ["user"]', '  variables:', '    local:');
        withExpr('      in_region: ');
        lines.push('  rules:');
        for (let r = 0; r < rules * 2; r++) {
          lines.push(`    - resource: doc_${r}`, '      allowActions: ["view"]', '      condition:', '        match:');
          withExpr('          expr: ');
        }
        break;
      case 'exportVariables':
        lines.push('apiVersion: api.cerbos.dev/v1', 'exportVariables:', `  name: shared_${i}`, '  definitions:');
        for (let r = 0; r < rules * 3; r++) withExpr(`    shared_${r}: `);
        break;
    }
    files.push({ file, text: lines.join('\n') + '\n' });
  }
  // what Cerbos's disk store (and so analyze-cel) skips: none of their expressions is reported
  const skipped = JSON.stringify(expr());
  const suite = `name: Suite\ndescription: a test suite\ntests: []\n# ${skipped}\n`;
  const policyLike = `apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: skipped\n  version: default\n  rules:\n    - actions: ["view"]\n      effect: EFFECT_ALLOW\n      roles: ["user"]\n      condition:\n        match:\n          expr: ${skipped}\n`;
  files.push(
    { file: 'policies/resource/resource_test.yaml', text: suite },
    { file: 'policies/testdata/fixture.yaml', text: policyLike },
    { file: 'policies/.hidden/policy.yaml', text: policyLike },
    { file: '_schemas/resource.json', text: '{"type": "object"}\n' },
  );
  return { files, expressions };
}

/** Writes the repository under `root` (created as needed). */
export function writeCelRepository(root: string, repository: CelRepository): void {
  for (const f of repository.files) {
    const full = path.join(root, f.file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, f.text);
  }
}
