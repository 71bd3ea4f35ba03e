import { Module, OnModuleInit } from '@nestjs/common';
import { ProviderRegistry } from '../provider';
import { BakongapiProvider } from './bakongapi.provider';

/** The Bakong KHQR API service provider: polled by md5, no callbacks, so no controller. */
@Module({ providers: [BakongapiProvider] })
export class BakongapiModule implements OnModuleInit {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly provider: BakongapiProvider,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.provider);
  }
}
