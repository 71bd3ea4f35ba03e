import { Module, OnModuleInit } from '@nestjs/common';
import { ProviderRegistry } from '../provider';
import { BakongProvider } from './bakong.provider';

/** The Bakong Open API provider: no callbacks (Bakong pushes nothing), so no controller. */
@Module({ providers: [BakongProvider] })
export class BakongModule implements OnModuleInit {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly provider: BakongProvider,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.provider);
  }
}
