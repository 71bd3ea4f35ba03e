import { Module, OnModuleInit } from '@nestjs/common';
import { ProviderRegistry } from '../provider';
import { RaksmeypayCallbackController } from './raksmeypay.controller';
import { RaksmeypayProvider } from './raksmeypay.provider';

@Module({
  controllers: [RaksmeypayCallbackController],
  providers: [RaksmeypayProvider],
})
export class RaksmeypayModule implements OnModuleInit {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly provider: RaksmeypayProvider,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.provider);
  }
}
