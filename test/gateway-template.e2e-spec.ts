import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ts from 'typescript';

/**
 * docs/gateway-template/ compiles once copied, as docs/adding-a-gateway.md says: its files are
 * type-checked as src/providers/example/ with "example" added to PROVIDER_IDS and GATEWAYS (steps
 * 1 and 2 of the walk-through), in memory, against the real code. Nothing is written to disk.
 */
describe('the gateway template (docs/gateway-template)', () => {
  it('type-checks as src/providers/example/ once listed in the gateway list', () => {
    const root = resolve(__dirname, '..');
    const templateDir = join(root, 'docs/gateway-template');
    const gatewayDir = join(root, 'src/providers/example');
    const providerFile = join(root, 'src/providers/provider.ts');
    const gatewaysFile = join(root, 'src/providers/gateways.ts');

    const virtual = new Map<string, string>();
    for (const name of readdirSync(templateDir).filter((f) => f.endsWith('.ts')))
      virtual.set(join(gatewayDir, name), readFileSync(join(templateDir, name), 'utf8'));
    expect([...virtual.keys()].map((f) => f.slice(gatewayDir.length + 1)).sort()).toEqual([
      'example.controller.ts',
      'example.inbound.ts',
      'example.module.ts',
      'example.provider.ts',
      'example.transformers.ts',
    ]);

    const provider = readFileSync(providerFile, 'utf8');
    const ids = /export const PROVIDER_IDS = \[([^\]]*)\] as const;/;
    expect(provider).toMatch(ids);
    virtual.set(
      providerFile,
      provider.replace(ids, (_, list: string) => `export const PROVIDER_IDS = [${list}, 'example'] as const;`),
    );

    const gateways = readFileSync(gatewaysFile, 'utf8');
    const list = /export const GATEWAYS = \{\n/;
    expect(gateways).toMatch(list);
    virtual.set(
      gatewaysFile,
      `import { ExampleModule } from './example/example.module';\nimport { ExampleProvider } from './example/example.provider';\n` +
        gateways.replace(list, (head) => `${head}  example: { module: ExampleModule, provider: ExampleProvider },\n`),
    );

    const config = ts.parseJsonConfigFileContent(ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, root);
    const host = ts.createCompilerHost(config.options);
    const readFile = host.readFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    host.readFile = (file) => virtual.get(resolve(file)) ?? readFile(file);
    host.fileExists = (file) => virtual.has(resolve(file)) || fileExists(file);
    host.directoryExists = (dir) => resolve(dir) === gatewayDir || ts.sys.directoryExists(dir);
    const program = ts.createProgram({
      rootNames: [...virtual.keys(), ...config.fileNames.filter((f) => f.endsWith('.d.ts'))],
      options: { ...config.options, noEmit: true },
      host,
    });

    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n') + (d.file ? ` (${d.file.fileName})` : ''));
    expect(problems).toEqual([]);
  });
});
