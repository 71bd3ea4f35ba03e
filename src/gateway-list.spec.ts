import type { Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { DEMO_ACCOUNTS } from './demo/demo-accounts';
import { GATEWAY_SIMULATORS, SIMULATED_GATEWAYS } from './sandbox/gateway-simulators';
import { GATEWAY_MODULES, GATEWAYS } from './providers/gateways';
import { PaymentProvider, PROVIDER_IDS } from './providers/provider';

/**
 * The gateway list is declared once (PROVIDER_IDS + GATEWAYS); the compiler already refuses a
 * gateway missing from GATEWAYS, the sandbox or the demo merchant. These checks catch what types
 * cannot: a module that does not provide its class, an id registered twice, a demo account its
 * own gateway would refuse. Kept beside the app module: like it, this spec sees every folder.
 */
describe('the gateway list', () => {
  // Only to read ids and credential fields: no method is called, so no dependency is injected.
  const classes: Type<PaymentProvider>[] = PROVIDER_IDS.map((id) => GATEWAYS[id].provider);
  const providers = classes.map((ProviderClass) => new ProviderClass());

  it('names each gateway once, in GATEWAYS exactly as in PROVIDER_IDS', () => {
    expect(new Set(PROVIDER_IDS).size).toBe(PROVIDER_IDS.length);
    expect(Object.keys(GATEWAYS).sort()).toEqual([...PROVIDER_IDS].sort());
    expect(providers.map((p) => p.id)).toEqual([...PROVIDER_IDS]);
  });

  it("mounts each gateway's module, which provides that gateway's provider class", () => {
    expect(GATEWAY_MODULES).toHaveLength(PROVIDER_IDS.length);
    for (const id of PROVIDER_IDS) {
      const { module, provider } = GATEWAYS[id];
      expect(GATEWAY_MODULES).toContain(module);
      expect(Reflect.getMetadata(MODULE_METADATA.PROVIDERS, module)).toContain(provider);
    }
  });

  it('gives every gateway a simulator in the sandbox, and nothing else is paid there', () => {
    expect(Object.keys(GATEWAY_SIMULATORS).sort()).toEqual([...PROVIDER_IDS].sort());
    expect([...SIMULATED_GATEWAYS]).toEqual([...PROVIDER_IDS]);
  });

  it.each(PROVIDER_IDS)('seeds the demo merchant with a %s account its gateway accepts, pointing at the sandbox', (id) => {
    const provider = providers.find((p) => p.id === id)!;
    const account: Record<string, unknown> = { ...DEMO_ACCOUNTS[id]('http://localhost:3000/sandbox') };
    const fields = new Map(provider.credentialFields.map((f) => [f.name, f]));
    for (const name of Object.keys(account)) expect(fields.has(name)).toBe(true);
    for (const field of provider.credentialFields) {
      const value = account[field.name];
      if (value === undefined) expect(field.required).toBe(false);
      else expect({ field: field.name, error: field.check?.(value) ?? null }).toEqual({ field: field.name, error: null });
    }
    expect(account.base_url).toBe(`http://localhost:3000/sandbox/${id}`);
  });

  it('declares credential fields with unique names, base_url among them', () => {
    for (const provider of providers) {
      const names = provider.credentialFields.map((f) => f.name);
      expect(new Set(names).size).toBe(names.length);
      expect(names).toContain('base_url');
    }
  });
});
